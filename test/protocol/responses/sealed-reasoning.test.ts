import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createReasoningSealer,
  type SealedReasoning,
} from "../../../src/protocol/responses/sealed-reasoning.js";

const key = randomBytes(32);
const sealer = createReasoningSealer(key);
const signed: SealedReasoning = {
  text: "2 + 2 is 4. ✓",
  thinkingBlocks: [
    { type: "thinking", thinking: "2 + 2 is 4. ✓", signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3h" },
    { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4a" },
  ],
};

describe("reasoning sealer", () => {
  it("opens what it sealed: text alone, or text with signed blocks", () => {
    expect(sealer.unseal(sealer.seal({ text: "plain" }))).toEqual({ text: "plain" });
    expect(sealer.unseal(sealer.seal(signed))).toEqual(signed);
  });

  it("writes base64url that starts with its version byte and never repeats (random IV)", () => {
    const a = sealer.seal(signed);
    const b = sealer.seal(signed);
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(a, "base64url")[0]).toBe(1);
    expect(a).not.toBe(b);
    expect(a).not.toContain("EqQBCgIYAhIM");
  });

  it("ignores a blob with any byte changed", () => {
    const bytes = Buffer.from(sealer.seal(signed), "base64url");
    for (let i = 0; i < bytes.length; i++) {
      const tampered = Buffer.from(bytes);
      tampered[i] = tampered[i]! ^ 0x01;
      expect(sealer.unseal(tampered.toString("base64url")), `byte ${i}`).toBeUndefined();
    }
  });

  it("ignores blobs cut short, lengthened, sealed with another key or of another version", () => {
    const blob = sealer.seal(signed);
    const bytes = Buffer.from(blob, "base64url");
    expect(sealer.unseal(bytes.subarray(0, bytes.length - 1).toString("base64url"))).toBeUndefined();
    expect(sealer.unseal(Buffer.concat([bytes, Buffer.of(0)]).toString("base64url"))).toBeUndefined();
    expect(sealer.unseal(bytes.subarray(0, 20).toString("base64url"))).toBeUndefined();
    expect(createReasoningSealer(randomBytes(32)).unseal(blob)).toBeUndefined();
    const otherVersion = Buffer.from(bytes);
    otherVersion[0] = 2;
    expect(sealer.unseal(otherVersion.toString("base64url"))).toBeUndefined();
  });

  it("never throws on hostile text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.base64String(), fc.anything()), (text) => {
        expect(sealer.unseal(text as string)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a key that is not 32 bytes", () => {
    expect(() => createReasoningSealer(randomBytes(16))).toThrow(RangeError);
  });
});
