/**
 * readBounded: a body read whole but never past its limit, by declared length before a byte is read
 * and by running count while it arrives.
 */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { BodyTooLargeError, readBounded } from "../../src/upstream/read-bounded.js";

const chunks = (...parts: string[]) => Readable.from(parts.map((part) => Buffer.from(part)));

describe("readBounded", () => {
  it("returns the whole body at or under the limit", async () => {
    expect((await readBounded(chunks("ab", "cd"), {}, 4)).toString()).toBe("abcd");
  });

  it("refuses a body whose running count passes the limit, and destroys it", async () => {
    const body = chunks("ab", "cd", "e");
    await expect(readBounded(body, {}, 4)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(body.destroyed).toBe(true);
  });

  it("refuses a declared length over the limit before reading", async () => {
    const body = chunks("a");
    const error = await readBounded(body, { "content-length": "10" }, 4).catch((caught) => caught);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect((error as Error).message).toContain("10 bytes");
    expect(body.destroyed).toBe(true);
  });
});
