/** The README's configuration table is checked against the settings table, so neither drifts. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultGatewayConfig, formatSettingDefault, GATEWAY_SETTINGS } from "../../src/config/schema.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("starts with the two set-up commands", () => {
    const firstBlock = readme.split("```")[1] ?? "";
    expect(firstBlock).toContain("npm install && npm start");
    expect(firstBlock).toContain("npm test");
  });

  it("documents every gateway setting with its flag, env vars and default", () => {
    const defaults = defaultGatewayConfig();
    for (const setting of GATEWAY_SETTINGS) {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${setting.key}\` |`));
      expect(row, `row for ${setting.key}`).toBeDefined();
      expect(row).toContain(`\`${setting.flag.split(" ")[0]}\``);
      for (const name of setting.env) expect(row).toContain(`\`${name}\``);
      expect(row).toContain(`\`${formatSettingDefault(defaults[setting.key])}\``);
    }
  });
});
