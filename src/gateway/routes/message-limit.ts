/**
 * `max_messages`: the most messages one chat (`/v1/chat/completions`) or Messages (`/v1/messages`)
 * request may carry. Checked before the request schema, so an oversized array costs one length
 * read instead of a validation pass over every element; the body's total size is `body_limit`'s.
 * @module
 */
import { GatewayError } from "../errors.js";

/** Throws a 400 naming `messages` when the body holds more messages than `limit` (0: no limit). */
export function assertMessageCount(body: unknown, limit: number): void {
  if (limit === 0 || typeof body !== "object" || body === null) return;
  const messages = (body as { messages?: unknown }).messages;
  if (!Array.isArray(messages) || messages.length <= limit) return;
  throw new GatewayError(
    "SWY_ERR_TOO_MANY_MESSAGES",
    `Invalid 'messages': array too long. Expected an array with maximum length ${limit}, but got an array with length ${messages.length} instead.`,
    { param: "messages" },
  );
}
