/**
 * What the gateway checks of an Anthropic Messages request before routing it: the fields routing
 * needs and the ones the API requires, so a client mistake gets a 400 in Anthropic's format.
 * @module
 */
import { z } from "zod";

/**
 * `system` entries among the messages are Anthropic's own (mid-conversation system messages), and
 * Claude Code sends them for every model name it does not know: refusing them refuses Claude Code.
 */
const messagesSchema = z.array(z.looseObject({ role: z.enum(["user", "assistant", "system"]) })).min(1);
const systemSchema = z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]);

export const messagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: messagesSchema,
  system: systemSchema.optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).optional(),
  metadata: z.looseObject({ user_id: z.string().optional() }).optional(),
});

/**
 * `POST /v1/messages/count_tokens`: what Anthropic requires of it (a model and messages; `system`
 * and `tools` may come along). No `max_tokens`: nothing is generated.
 */
export const countTokensRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: messagesSchema,
  system: systemSchema.optional(),
  tools: z.array(z.looseObject({ name: z.string().min(1) })).optional(),
});
