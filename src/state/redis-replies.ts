/**
 * Checks on raw RESP2 replies (the store sends raw commands, so node-redis does not shape them).
 * A reply of the wrong shape throws {@link RedisReplyError}: Redis answered, so it is a bug to
 * report, never a reason to go offline.
 * @module
 */
import { RedisReplyError } from "./redis-link.js";

export function integer(reply: unknown): number {
  if (typeof reply !== "number") throw new RedisReplyError(`unexpected reply: ${JSON.stringify(reply)}`);
  return reply;
}

export function integers(reply: unknown, count: number): number[] {
  if (!Array.isArray(reply) || reply.length !== count) {
    throw new RedisReplyError(`unexpected reply: ${JSON.stringify(reply)}`);
  }
  return reply.map(integer);
}

/** HGETALL's flat `[field, value, field, value, …]` as pairs. */
export function hashEntries(reply: unknown): [string, string][] {
  if (!Array.isArray(reply)) throw new RedisReplyError("unexpected HGETALL reply");
  const entries: [string, string][] = [];
  for (let index = 0; index + 1 < reply.length; index += 2) {
    entries.push([String(reply[index]), String(reply[index + 1])]);
  }
  return entries;
}

/** A stored JSON value, or `ok: false` for text that is not JSON (written by something else). */
export function parseJson(json: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(json) };
  } catch {
    return { ok: false };
  }
}
