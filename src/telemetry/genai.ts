/**
 * The names the OpenTelemetry GenAI semantic conventions give to spans' attributes and metrics,
 * kept here as strings (the conventions package marks them incubating and asks users to copy
 * them), plus the gateway's own attributes under `switchyard.`.
 * @module
 */

export const GEN_AI = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  requestStream: "gen_ai.request.stream",
  responseModel: "gen_ai.response.model",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  tokenType: "gen_ai.token.type",
} as const;

export const GEN_AI_METRIC = {
  tokenUsage: "gen_ai.client.token.usage",
  clientDuration: "gen_ai.client.operation.duration",
  serverDuration: "gen_ai.server.request.duration",
  timeToFirstToken: "gen_ai.server.time_to_first_token",
} as const;

export const SWITCHYARD = {
  endpoint: "switchyard.endpoint",
  backend: "switchyard.backend",
  strategy: "switchyard.strategy",
  attempts: "switchyard.attempts",
  ttftMs: "switchyard.ttft_ms",
  verdict: "switchyard.verdict",
  clientGone: "switchyard.client_gone",
} as const;

const OPERATIONS: Record<string, string> = {
  chat: "chat",
  messages: "chat",
  responses: "chat",
  completions: "text_completion",
  embeddings: "embeddings",
};

/** The GenAI operation an endpoint performs; an endpoint not listed keeps its own name. */
export function operationOf(endpoint: string): string {
  return OPERATIONS[endpoint] ?? endpoint;
}
