import { describe, expect, it } from "vitest";
import { reasoningSealKey, WORKERS_SEAL_KEY_ENV } from "../../src/gateway/reasoning-seal-key.js";

describe("the key that seals reasoning for stateless Responses clients", () => {
  it("is the same wherever the same state_secret is set, and differs for another", () => {
    expect(reasoningSealKey("fleet-secret", {})).toEqual(reasoningSealKey("fleet-secret", {}));
    expect(reasoningSealKey("fleet-secret", {})).not.toEqual(reasoningSealKey("other-secret", {}));
  });

  it("is the one a --workers primary hands its workers when no secret is set", () => {
    const shared = "ab".repeat(32);
    const env = { [WORKERS_SEAL_KEY_ENV]: shared };
    expect(reasoningSealKey(undefined, env).toString("hex")).toBe(shared);
  });

  it("is random per process otherwise, never a key from a malformed variable", () => {
    const env = { [WORKERS_SEAL_KEY_ENV]: "not-hex" };
    const one = reasoningSealKey(undefined, env);
    expect(one).toHaveLength(32);
    expect(one).not.toEqual(reasoningSealKey(undefined, env));
  });
});
