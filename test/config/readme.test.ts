/** The README's opening; its flag tables are checked in test/cli/readme-options.test.ts. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("starts with the two set-up commands", () => {
    const firstBlock = readme.split("```")[1] ?? "";
    expect(firstBlock).toContain("npm install && npm start");
    expect(firstBlock).toContain("npm test");
  });
});
