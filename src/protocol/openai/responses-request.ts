/**
 * What the gateway checks of a Responses API request (`POST /v1/responses`) before routing it: the
 * fields it reads itself (model, stream, store, the chain) and the types a bridge or backend would
 * trip over, so a client mistake is a 400 naming the parameter. Everything else passes on as sent.
 * @module
 */
import { z } from "zod";

const item = z.looseObject({
  type: z.string().min(1).optional(),
  role: z.string().min(1).optional(),
});

export const responsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(item)]).optional(),
  instructions: z.string().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  store: z.boolean().nullable().optional(),
  background: z.boolean().nullable().optional(),
  previous_response_id: z.string().min(1).nullable().optional(),
  conversation: z.unknown().optional(),
  max_output_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  tools: z.array(z.looseObject({ type: z.string().min(1) })).optional(),
  include: z.array(z.string()).nullable().optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  prompt_cache_key: z.string().optional(),
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  text: z.looseObject({}).nullable().optional(),
  reasoning: z.looseObject({}).nullable().optional(),
});

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

/** Why a request the schema accepts still cannot be served here, naming the parameter; undefined when it can. */
export function unsupportedResponsesParameter(
  request: ResponsesRequest,
): { message: string; param: string } | undefined {
  if (request.background === true) {
    return {
      message:
        "Background responses are not supported by this gateway; send the request without 'background'.",
      param: "background",
    };
  }
  if (request.conversation !== undefined && request.conversation !== null) {
    return {
      message:
        "The Conversations API is not supported by this gateway; chain requests with 'previous_response_id' instead.",
      param: "conversation",
    };
  }
  if (request.input === undefined && !request.previous_response_id) {
    return { message: "Missing required parameter: 'input'.", param: "input" };
  }
  return undefined;
}
