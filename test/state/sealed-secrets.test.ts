import { describe, expect, it } from "vitest";
import { SealedSecretError, SecretSealer } from "../../src/state/sealed-secrets.js";

const sealer = new SecretSealer("correct horse battery staple");

describe("SecretSealer", () => {
  it("opens what it sealed, and never shows the plaintext in the sealed text", () => {
    const sealed = sealer.seal('["sk-live-abc123"]', "registration:a");
    expect(sealed).not.toContain("sk-live");
    expect(sealed.startsWith("v1.")).toBe(true);
    expect(sealer.open(sealed, "registration:a")).toBe('["sk-live-abc123"]');
  });

  it("uses a fresh IV for every value", () => {
    expect(sealer.seal("same", "c")).not.toBe(sealer.seal("same", "c"));
  });

  it("opens under the same secret on another instance (another replica)", () => {
    const sealed = sealer.seal("shared", "c");
    expect(new SecretSealer("correct horse battery staple").open(sealed, "c")).toBe("shared");
  });

  it("rejects a value sealed under another secret", () => {
    const sealed = new SecretSealer("another secret").seal("value", "c");
    expect(() => sealer.open(sealed, "c")).toThrow(SealedSecretError);
  });

  it("rejects a tampered ciphertext, tag or IV", () => {
    const sealed = sealer.seal("a value worth protecting", "c");
    const parts = sealed.split(".");
    for (const index of [1, 2, 3]) {
      const bytes = Buffer.from(parts[index]!, "base64url");
      bytes[0]! ^= 1;
      const tampered = parts.map((part, at) => (at === index ? bytes.toString("base64url") : part)).join(".");
      expect(() => sealer.open(tampered, "c")).toThrow(SealedSecretError);
    }
  });

  it("rejects a value moved to another context, and malformed text", () => {
    const sealed = sealer.seal("value", "registration:a");
    expect(() => sealer.open(sealed, "registration:b")).toThrow(SealedSecretError);
    expect(() => sealer.open("value", "c")).toThrow(SealedSecretError);
    expect(() => sealer.open("v1.AAAA.BBBB.CCCC", "c")).toThrow(SealedSecretError);
    expect(() => sealer.open("v2.a.b.c", "c")).toThrow(SealedSecretError);
  });

  it("refuses an empty secret", () => {
    expect(() => new SecretSealer("")).toThrow(RangeError);
  });
});
