/**
 * What the gateway checks of an OpenAI request before routing it: the fields routing needs and the
 * types a backend would reject anyway, so a client mistake gets a 400 naming the field instead of
 * a backend's 500. Every other field passes through untouched.
 * @module
 */
import { z } from "zod";
import type { PromptParts } from "../prompt-blocks.js";
import { PROMPT_PREFIX_CHARS, promptPrefix } from "../prompt-prefix.js";

const common = {
  model: z.string().min(1),
  stream: z.boolean().optional(),
  user: z.string().optional(),
  n: z.number().int().positive().optional(),
  max_tokens: z.number().int().nonnegative().nullable().optional(),
  temperature: z.number().nonnegative().nullable().optional(),
  top_p: z.number().nonnegative().nullable().optional(),
};

const message = z.looseObject({ role: z.string().min(1) });

export const chatRequestSchema = z.looseObject({
  ...common,
  messages: z.array(message).min(1),
  max_completion_tokens: z.number().int().nonnegative().nullable().optional(),
});

export const completionRequestSchema = z.looseObject({
  ...common,
  prompt: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))]),
});

export const embeddingRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number()).min(1),
    z.array(z.array(z.number())).min(1),
  ]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});

/** The fields routing reads; everything else stays in the raw body. */
export interface RoutingFields {
  model: string;
  stream: boolean;
  user: string | undefined;
  /** The start of the prompt (up to PROMPT_PREFIX_CHARS), for cache-aware routing. */
  promptPrefix: string | undefined;
  /** The whole prompt, hashed in blocks only if the strategy asks (`prefix_aware`). */
  prompt?: PromptParts | undefined;
}

export type RequestCheck =
  | { ok: true; fields: RoutingFields }
  | { ok: false; message: string; param: string | null };

export function checkRequest(schema: z.ZodType, body: unknown): RequestCheck {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, message: "The request body must be a JSON object.", param: null };
  }
  if (schema === chatRequestSchema && isPlainChatRequest(body as Record<string, unknown>)) {
    return { ok: true, fields: fieldsOf(body as RoutingBody) };
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const param = issue.path.length > 0 ? issue.path.join(".") : null;
    const missing = issue.code === "invalid_type" && valueAt(body, issue.path) === undefined;
    const message = missing
      ? `Missing required parameter: '${param}'.`
      : `Invalid value for '${param ?? "body"}': ${issue.message}.`;
    return { ok: false, message, param };
  }
  return { ok: true, fields: fieldsOf(result.data as RoutingBody) };
}

type RoutingBody = { model: string; stream?: boolean; user?: string } & Parameters<typeof promptPartsOf>[0];

function fieldsOf(data: RoutingBody): RoutingFields {
  return {
    model: data.model,
    stream: data.stream === true,
    user: data.user,
    promptPrefix: promptPrefixOf(data),
    prompt: promptPartsOf(data),
  };
}

/**
 * Whether a chat body certainly passes `chatRequestSchema`, checked by hand: the usual request then
 * skips zod's parse, which copies the body and every message (loose objects), about 15 µs on a
 * 100 kB agent prompt. Anything unusual goes through zod, which says what is wrong, so this may
 * refuse what the schema accepts but never the other way round (a property test checks it).
 */
export function isPlainChatRequest(body: Record<string, unknown>): boolean {
  const { model, messages } = body;
  if (typeof model !== "string" || model.length === 0) return false;
  if (!Array.isArray(messages) || messages.length === 0) return false;
  for (const message of messages) {
    if (typeof message !== "object" || message === null || Array.isArray(message)) return false;
    const role = (message as { role?: unknown }).role;
    if (typeof role !== "string" || role.length === 0) return false;
  }
  return (
    (body.stream === undefined || typeof body.stream === "boolean") &&
    (body.user === undefined || typeof body.user === "string") &&
    (body.n === undefined || (Number.isSafeInteger(body.n) && (body.n as number) > 0)) &&
    isCountOrNull(body.max_tokens) &&
    isCountOrNull(body.max_completion_tokens) &&
    isNonNegativeOrNull(body.temperature) &&
    isNonNegativeOrNull(body.top_p)
  );
}

function isCountOrNull(value: unknown): boolean {
  return value === undefined || value === null || (Number.isSafeInteger(value) && (value as number) >= 0);
}

function isNonNegativeOrNull(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    (typeof value === "number" && Number.isFinite(value) && value >= 0)
  );
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** The first characters of the prompt: message texts in order (chat) or the prompt (completions). */
function promptPrefixOf(body: { messages?: unknown; prompt?: unknown }): string | undefined {
  if (typeof body.prompt === "string") return body.prompt.slice(0, PROMPT_PREFIX_CHARS);
  if (!Array.isArray(body.messages)) return undefined;
  return promptPrefix(undefined, body.messages);
}

/** The whole prompt: tools and messages (chat) or the prompt (completions); none for embeddings. */
function promptPartsOf(body: {
  messages?: unknown;
  prompt?: unknown;
  tools?: unknown;
}): PromptParts | undefined {
  if (Array.isArray(body.messages)) return { tools: body.tools, messages: body.messages };
  if (body.prompt !== undefined) return { leading: body.prompt };
  return undefined;
}
