/**
 * Configuration edges that used to pass: negative durations (from any source, naming the variable
 * or flag they came from) and one client key under two client names.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, loadGatewayConfig } from "../../src/config/load.js";
import { GATEWAY_SETTINGS } from "../../src/config/schema.js";

/** Every setting measured in seconds, found by its flag so a new one is covered without an edit. */
const DURATIONS = GATEWAY_SETTINGS.filter((setting) => setting.flag.endsWith("<seconds>"));

function refusal(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("the configuration was accepted");
}

describe("durations", () => {
  it("covers the documented duration settings", () => {
    expect(DURATIONS.map((setting) => setting.key)).toEqual(
      expect.arrayContaining(["health_interval", "request_timeout", "lease_ttl", "queue_timeout"]),
    );
  });

  it.each(DURATIONS.map((setting) => [setting.key, setting] as const))(
    "refuses a negative %s from the environment, naming the variable",
    (key, setting) => {
      const variable = setting.env[0]!;
      for (const value of ["-1", "-0.5", " -1e-9"]) {
        const message = refusal(() => loadGatewayConfig({ env: { [variable]: value } }));
        expect(message).toContain(key);
        expect(message).toContain(variable);
      }
    },
  );

  it("refuses a negative duration from a flag, naming the flag", () => {
    const message = refusal(() => loadGatewayConfig({ env: {}, flags: { health_interval: "-1" } }));
    expect(message).toContain("--health-interval");
  });

  it("refuses a keep_alive_timeout of 0, which Node would read as never closing an idle connection", () => {
    const message = refusal(() => loadGatewayConfig({ env: { SWITCHYARD_KEEP_ALIVE_TIMEOUT: "0" } }));
    expect(message).toContain("keep_alive_timeout");
  });

  it("reads -0 as 0 and keeps 0 where it means off", () => {
    expect(
      Object.is(loadGatewayConfig({ env: { SWITCHYARD_HEALTH_INTERVAL: "-0" } }).health_interval, 0),
    ).toBe(true);
  });
});

describe("client keys", () => {
  const sha = (text: string) => createHash("sha256").update(text).digest("hex");

  it("refuses one key under two client names, naming both", () => {
    const keys = [
      { name: "alice", key: "sk-shared-key" },
      { name: "bob", key: "sk-other-key" },
      { name: "carol", key: "sk-shared-key" },
    ];
    const message = refusal(() =>
      loadGatewayConfig({ env: { SWITCHYARD_CLIENT_KEYS: JSON.stringify(keys) } }),
    );
    expect(message).toContain('"alice"');
    expect(message).toContain('"carol"');
    expect(message).not.toContain('"bob"');
    expect(message).not.toContain("sk-shared-key");
  });

  it("sees the same key given once in clear and once as its SHA-256", () => {
    const keys = [
      { name: "alice", key: "sk-shared-key" },
      { name: "bob", key_sha256: sha("sk-shared-key").toUpperCase() },
    ];
    const message = refusal(() =>
      loadGatewayConfig({ env: { SWITCHYARD_CLIENT_KEYS: JSON.stringify(keys) } }),
    );
    expect(message).toMatch(/"alice" and "bob"/);
  });

  it("accepts distinct keys, two of them under one name (a rotation)", () => {
    const keys = [
      { name: "alice", key: "sk-old-key-1" },
      { name: "alice", key: "sk-new-key-2" },
      { name: "bob", key_sha256: sha("sk-bob-key-3") },
    ];
    const config = loadGatewayConfig({ env: { SWITCHYARD_CLIENT_KEYS: JSON.stringify(keys) } });
    expect(config.client_keys).toHaveLength(3);
  });
});
