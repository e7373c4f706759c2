/**
 * Ids in each protocol's spelling: Anthropic messages `msg_…` and tool calls `toolu_…`, OpenAI
 * completions `chatcmpl-…` and tool calls `call_…`. Upstream ids are kept, only prefixed.
 * @module
 */
import { randomUUID } from "node:crypto";

/** The default source of fresh id suffixes. */
export function randomIdSuffix(): string {
  return randomUUID().replaceAll("-", "");
}

/** `id` with `prefix` (kept as is when it already has it); a fresh id when `id` is missing. */
export function prefixedId(prefix: string, id: unknown, fresh: () => string): string {
  if (typeof id !== "string" || id === "") return prefix + fresh();
  return id.startsWith(prefix) ? id : prefix + id;
}

/** A tool call id as is, or a fresh one with `prefix` when the upstream sent none. */
export function toolCallId(prefix: string, id: unknown, fresh: () => string): string {
  return typeof id === "string" && id !== "" ? id : prefix + fresh();
}
