/**
 * What the gateway checks of an Anthropic Messages request before routing it: the fields routing
 * needs and the ones the API requires, so a client mistake gets a 400 in Anthropic's format.
 * @module
 */
import { z } from "zod";

export const messagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z.array(z.looseObject({ role: z.enum(["user", "assistant"]) })).min(1),
  system: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).optional(),
  metadata: z.looseObject({ user_id: z.string().optional() }).optional(),
});
