import { describe, expect, it } from "vitest";
import { backendSchema } from "../../../src/config/schema.js";
import {
  RegistrationSecrets,
  SEALED_KEYS_FIELD,
} from "../../../src/state/replication/registration-secrets.js";

/** The stored record, failing the test when the registration was refused. */
function stored(secrets: RegistrationSecrets, id: string, config: { api_keys: readonly string[] }): unknown {
  const sealed = secrets.toStored(id, config);
  if (!sealed.ok) throw new Error(sealed.reason);
  return sealed.stored;
}

const withKeys = backendSchema.parse({
  name: "hosted",
  url: "http://127.0.0.1:9",
  api_keys: ["sk-live-1", "sk-live-2"],
});
const withoutKeys = backendSchema.parse({ name: "local", url: "http://127.0.0.1:9" });

describe("RegistrationSecrets", () => {
  it("stores api_keys sealed, and another replica with the same secret opens them", () => {
    const record = stored(new RegistrationSecrets("s3cret", true), "hosted", withKeys);
    expect(JSON.stringify(record)).not.toContain("sk-live");
    expect(record).toMatchObject({ [SEALED_KEYS_FIELD]: expect.any(String) });
    expect(record).not.toHaveProperty("api_keys");
    const opened = new RegistrationSecrets("s3cret", true).fromStored(
      "hosted",
      JSON.parse(JSON.stringify(record)),
    );
    expect(opened).toEqual({ ok: true, record: withKeys });
  });

  it("refuses keys that would reach Redis in clear, naming the setting", () => {
    const secrets = new RegistrationSecrets(undefined, true);
    const refusal = secrets.toStored("hosted", withKeys);
    expect(refusal.ok).toBe(false);
    expect(!refusal.ok && refusal.reason).toContain("SWITCHYARD_STATE_SECRET");
    expect(stored(secrets, "local", withoutKeys)).toBe(withoutKeys);
  });

  it("changes nothing without Redis", () => {
    expect(stored(new RegistrationSecrets(undefined, false), "hosted", withKeys)).toBe(withKeys);
    expect(stored(new RegistrationSecrets("s3cret", false), "hosted", withKeys)).toBe(withKeys);
  });

  it("reports, without throwing, a record it cannot open: wrong secret, no secret, moved to another id", () => {
    const record = stored(new RegistrationSecrets("s3cret", true), "hosted", withKeys);
    expect(new RegistrationSecrets("other", true).fromStored("hosted", record).ok).toBe(false);
    expect(new RegistrationSecrets(undefined, true).fromStored("hosted", record).ok).toBe(false);
    expect(new RegistrationSecrets("s3cret", true).fromStored("elsewhere", record).ok).toBe(false);
    expect(new RegistrationSecrets(undefined, true).fromStored("local", withoutKeys)).toEqual({
      ok: true,
      record: withoutKeys,
    });
  });
});
