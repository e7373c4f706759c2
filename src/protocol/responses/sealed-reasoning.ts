/**
 * Reasoning as an opaque, authenticated blob, for the Responses API's `encrypted_content`.
 *
 * A stateless client (Codex sends `store: false` with `include: ["reasoning.encrypted_content"]`)
 * keeps nothing of ours but hands each reasoning item back on the next turn, usually without its
 * text. The blob carries what the backend needs to see that reasoning again: the text, and for an
 * Anthropic backend its thinking blocks with their signatures, which Anthropic verifies.
 *
 * Format: base64url of `version (1 byte) ‖ IV (12) ‖ GCM tag (16) ‖ AES-256-GCM(JSON)`, with the
 * version byte and a fixed label as additional authenticated data. A blob that is malformed, made
 * with another key or version, or altered in any bit opens to `undefined`: callers ignore it and
 * never trust or echo its bytes.
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { AnthropicReasoningBlock } from "../anthropic/types.js";
import { copyReasoningBlock } from "../translate/thinking-blocks.js";

/** What one reasoning item carries. */
export interface SealedReasoning {
  /** The reasoning text, as the backend wrote it. */
  readonly text: string;
  /** Anthropic's blocks (thinking with signature, redacted thinking), when the backend gave them. */
  readonly thinkingBlocks?: readonly AnthropicReasoningBlock[];
}

/** Seals reasoning into text a client may hold, and opens what comes back. Never throws on input. */
export interface ReasoningSealer {
  seal(value: SealedReasoning): string;
  /** The reasoning sealed in `text`, or `undefined` unless it is intact and ours. */
  unseal(text: string): SealedReasoning | undefined;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;
const LABEL = Buffer.from("switchyard/reasoning");

/** Bytes as base64url are at most this long: a blob that could not be ours is not even decoded. */
const MAX_BLOB_CHARS = 16 * 1024 * 1024;

function aad(version: number): Buffer {
  return Buffer.concat([Buffer.of(version), LABEL]);
}

/**
 * A sealer over a 32-byte key (AES-256-GCM). Throws only here, for a key of the wrong size, which
 * is the caller's bug and not a request's.
 */
export function createReasoningSealer(key: Uint8Array): ReasoningSealer {
  if (key.byteLength !== 32) throw new RangeError("A reasoning sealer needs a 32-byte key.");
  const secret = Buffer.from(key);
  return {
    seal(value: SealedReasoning): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", secret, iv);
      cipher.setAAD(aad(VERSION));
      const plain = Buffer.from(JSON.stringify(serialise(value)));
      const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), sealed]).toString("base64url");
    },
    unseal(text: string): SealedReasoning | undefined {
      if (typeof text !== "string" || text.length > MAX_BLOB_CHARS) return undefined;
      const bytes = Buffer.from(text, "base64url");
      if (bytes.length < HEADER_BYTES || bytes[0] !== VERSION) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", secret, bytes.subarray(1, 1 + IV_BYTES), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(aad(VERSION));
        decipher.setAuthTag(bytes.subarray(1 + IV_BYTES, HEADER_BYTES));
        const plain = Buffer.concat([decipher.update(bytes.subarray(HEADER_BYTES)), decipher.final()]);
        return deserialise(JSON.parse(plain.toString("utf8")) as unknown);
      } catch {
        return undefined;
      }
    },
  };
}

function serialise(value: SealedReasoning): { t: string; b?: AnthropicReasoningBlock[] } {
  const blocks = (value.thinkingBlocks ?? []).flatMap((block) => copyReasoningBlock(block) ?? []);
  return blocks.length > 0 ? { t: value.text, b: blocks } : { t: value.text };
}

/** Authenticated data is still read defensively: the key may have sealed an older shape. */
function deserialise(value: unknown): SealedReasoning | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { t, b } = value as { t?: unknown; b?: unknown };
  if (typeof t !== "string") return undefined;
  if (!Array.isArray(b)) return { text: t };
  return { text: t, thinkingBlocks: b.flatMap((block: unknown) => copyReasoningBlock(block) ?? []) };
}
