/**
 * The reasoning fields of a chat request: the reasoning extensions (`separate_thinking`,
 * `include_channels`, `reasoning`, `developer_instructions`) and OpenAI's `reasoning_effort`.
 * A client mistake comes back as a result with the field at fault (for a 400), never as a throw.
 * @module
 */
import { HARMONY_CHANNELS, type HarmonyChannel } from "./harmony-channels.js";

/** Efforts accepted from `reasoning` and `reasoning_effort` (low, medium and high, plus OpenAI's others). */
export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh"] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/** The reasoning extension fields; a backend that does not know them may reject the request. */
export const REASONING_EXTENSION_FIELDS = [
  "separate_thinking",
  "include_channels",
  "reasoning",
  "developer_instructions",
] as const;

const EXTENSION_FIELDS = new Set<string>(REASONING_EXTENSION_FIELDS);

/**
 * Whether `body` carries any reasoning extension field. Walks the body's own keys (a request has a
 * handful) instead of asking for each field by name: one `in` site that sees four names is
 * megamorphic, a few hundred instructions per request on the hot path.
 */
export function hasReasoningExtension(body: Readonly<Record<string, unknown>>): boolean {
  for (const key in body) if (EXTENSION_FIELDS.has(key)) return true;
  return false;
}

/** What a request asks of reasoning, with defaults applied. */
export interface ReasoningRequest {
  /** Add `message.thinking` and `message.channels`. Default false. */
  readonly separateThinking: boolean;
  /** Which channels `message.channels` keeps. Default all three. */
  readonly includeChannels: readonly HarmonyChannel[];
  /** From `reasoning` (string or `{effort}`) or `reasoning_effort`, lower-cased. */
  readonly effort: ReasoningEffort | undefined;
  readonly developerInstructions: string | undefined;
}

/** A client mistake, in the terms of an OpenAI error body. */
export interface ReasoningRequestError {
  readonly message: string;
  readonly param: string | null;
}

export type ReasoningRequestResult =
  | { readonly ok: true; readonly request: ReasoningRequest }
  | { readonly ok: false; readonly error: ReasoningRequestError };

type Parsed<T> = { ok: true; value: T } | { ok: false; error: ReasoningRequestError };

const invalid = (param: string, expected: string): { ok: false; error: ReasoningRequestError } => ({
  ok: false,
  error: { message: `Invalid value for '${param}': expected ${expected}.`, param },
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseEffort(value: unknown, param: string): Parsed<ReasoningEffort | undefined> {
  if (value === undefined || value === null) return { ok: true, value: undefined };
  const effort = typeof value === "string" ? value.toLowerCase() : undefined;
  const known = REASONING_EFFORTS.find((name) => name === effort);
  return known === undefined
    ? invalid(param, `one of ${REASONING_EFFORTS.join(", ")}`)
    : { ok: true, value: known };
}

function parseReasoning(value: unknown): Parsed<ReasoningEffort | undefined> {
  if (isRecord(value)) return parseEffort(value.effort, "reasoning.effort");
  return parseEffort(value, "reasoning");
}

function parseChannels(value: unknown): Parsed<readonly HarmonyChannel[]> {
  if (value === undefined || value === null) return { ok: true, value: HARMONY_CHANNELS };
  const expected = `an array of ${HARMONY_CHANNELS.join(", ")}`;
  if (!Array.isArray(value)) return invalid("include_channels", expected);
  const channels: HarmonyChannel[] = [];
  for (const item of value) {
    const channel = HARMONY_CHANNELS.find((name) => name === item);
    if (channel === undefined) return invalid("include_channels", expected);
    if (!channels.includes(channel)) channels.push(channel);
  }
  return { ok: true, value: channels };
}

/**
 * Reads and checks the reasoning fields of a request body.
 * @example
 * parseReasoningRequest({ reasoning: "medium", separate_thinking: true })
 * // { ok: true, request: { separateThinking: true, includeChannels: [all three], effort: "medium", … } }
 */
export function parseReasoningRequest(body: unknown): ReasoningRequestResult {
  if (!isRecord(body)) {
    return { ok: false, error: { message: "The request body must be a JSON object.", param: null } };
  }
  const separate = body.separate_thinking;
  if (separate !== undefined && separate !== null && typeof separate !== "boolean") {
    return invalid("separate_thinking", "a boolean");
  }
  const developer = body.developer_instructions;
  if (developer !== undefined && developer !== null && typeof developer !== "string") {
    return invalid("developer_instructions", "a string");
  }
  const channels = parseChannels(body.include_channels);
  if (!channels.ok) return channels;
  const fromReasoning = parseReasoning(body.reasoning);
  if (!fromReasoning.ok) return fromReasoning;
  const fromEffort = parseEffort(body.reasoning_effort, "reasoning_effort");
  if (!fromEffort.ok) return fromEffort;
  if (
    fromReasoning.value !== undefined &&
    fromEffort.value !== undefined &&
    fromReasoning.value !== fromEffort.value
  ) {
    const message = `'reasoning' (${fromReasoning.value}) and 'reasoning_effort' (${fromEffort.value}) disagree.`;
    return { ok: false, error: { message, param: "reasoning_effort" } };
  }
  return {
    ok: true,
    request: {
      separateThinking: separate === true,
      includeChannels: channels.value,
      effort: fromEffort.value ?? fromReasoning.value,
      developerInstructions: typeof developer === "string" ? developer : undefined,
    },
  };
}

function isSystemMessage(message: unknown): boolean {
  return isRecord(message) && message.role === "system";
}

/** How {@link stripReasoningFields} treats `developer_instructions`. */
export interface StripOptions {
  /**
   * `message` (default): insert `{role: "developer", content}` after the leading system messages, where
   * gpt-oss chat templates place developer instructions. `drop`: forget them.
   */
  readonly developerInstructions?: "message" | "drop";
}

/**
 * A copy of `body` without the reasoning extension fields, for backends that reject unknown fields. What
 * they asked for is kept in standard form: an effort from `reasoning` becomes `reasoning_effort` unless
 * that is already set, and developer instructions become a developer message (see {@link StripOptions}).
 * Call it on a body that {@link parseReasoningRequest} accepted; invalid values are simply dropped.
 */
export function stripReasoningFields(
  body: Readonly<Record<string, unknown>>,
  options: StripOptions = {},
): Record<string, unknown> {
  const stripped: Record<string, unknown> = { ...body };
  for (const field of REASONING_EXTENSION_FIELDS) delete stripped[field];
  const effort = parseReasoning(body.reasoning);
  if (effort.ok && effort.value !== undefined && (body.reasoning_effort ?? null) === null) {
    stripped.reasoning_effort = effort.value;
  }
  const developer = body.developer_instructions;
  if (options.developerInstructions !== "drop" && typeof developer === "string" && developer !== "") {
    if (Array.isArray(body.messages)) {
      const messages: unknown[] = [...body.messages];
      let at = 0;
      while (at < messages.length && isSystemMessage(messages[at])) at++;
      messages.splice(at, 0, { role: "developer", content: developer });
      stripped.messages = messages;
    }
  }
  return stripped;
}
