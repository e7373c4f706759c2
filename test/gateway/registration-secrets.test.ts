import { describe, expect, it } from "vitest";
import { backendSchema } from "../../src/config/schema.js";
import { GatewayError } from "../../src/gateway/errors.js";
import { RegistrationSecrets, SEALED_KEYS_FIELD } from "../../src/gateway/registration-secrets.js";

const withKeys = backendSchema.parse({
  name: "hosted",
  url: "http://127.0.0.1:9",
  api_keys: ["sk-live-1", "sk-live-2"],
});
const withoutKeys = backendSchema.parse({ name: "local", url: "http://127.0.0.1:9" });

describe("RegistrationSecrets", () => {
  it("stores api_keys sealed, and another replica with the same secret opens them", () => {
    const stored = new RegistrationSecrets("s3cret", true).toStored("hosted", withKeys);
    expect(JSON.stringify(stored)).not.toContain("sk-live");
    expect(stored).toMatchObject({ [SEALED_KEYS_FIELD]: expect.any(String) });
    expect(stored).not.toHaveProperty("api_keys");
    const opened = new RegistrationSecrets("s3cret", true).fromStored(
      "hosted",
      JSON.parse(JSON.stringify(stored)),
    );
    expect(opened).toEqual({ ok: true, record: withKeys });
  });

  it("refuses keys that would reach Redis in clear, naming the setting", () => {
    const secrets = new RegistrationSecrets(undefined, true);
    const refusal = (() => {
      try {
        secrets.toStored("hosted", withKeys);
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(GatewayError);
    expect((refusal as GatewayError).code).toBe("SWY_ERR_INVALID_REQUEST");
    expect((refusal as GatewayError).message).toContain("SWITCHYARD_STATE_SECRET");
    expect(secrets.toStored("local", withoutKeys)).toBe(withoutKeys);
  });

  it("changes nothing without Redis", () => {
    expect(new RegistrationSecrets(undefined, false).toStored("hosted", withKeys)).toBe(withKeys);
    expect(new RegistrationSecrets("s3cret", false).toStored("hosted", withKeys)).toBe(withKeys);
  });

  it("reports, without throwing, a record it cannot open: wrong secret, no secret, moved to another id", () => {
    const stored = new RegistrationSecrets("s3cret", true).toStored("hosted", withKeys);
    expect(new RegistrationSecrets("other", true).fromStored("hosted", stored).ok).toBe(false);
    expect(new RegistrationSecrets(undefined, true).fromStored("hosted", stored).ok).toBe(false);
    expect(new RegistrationSecrets("s3cret", true).fromStored("elsewhere", stored).ok).toBe(false);
    expect(new RegistrationSecrets(undefined, true).fromStored("local", withoutKeys)).toEqual({
      ok: true,
      record: withoutKeys,
    });
  });
});
