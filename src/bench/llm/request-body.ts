/**
 * The request the bench sends for one prompt, in the target's protocol: OpenAI chat completions
 * (`Authorization: Bearer`, `stream_options.include_usage` so the usage chunk gives token counts),
 * Anthropic messages (`x-api-key`, `anthropic-version`, system text lifted out of the messages) or
 * the OpenAI Responses API (`Authorization: Bearer`, system text as `instructions`, `store: false` so
 * a gateway keeps nothing for the bench's throwaway turns). Tool definitions go in each protocol's own
 * `tools` shape.
 * @module
 */
import type { RequestSpec } from "../load-types.js";
import type { Protocol } from "./token-events.js";

export interface ChatMessage {
  role: string;
  content: string;
}

/** A function the model may call, as the workload declares it (rendered per protocol). */
export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON schema of the arguments. */
  parameters: Record<string, unknown>;
}

export interface ChatRequestInput {
  protocol: Protocol;
  model: string;
  messages: readonly ChatMessage[];
  tools?: readonly ToolDefinition[] | undefined;
  /** Extra request headers (a session id). */
  headers?: Readonly<Record<string, string>> | undefined;
  maxTokens: number;
  stream: boolean;
  apiKey?: string | undefined;
  /** Path prefix of the target URL (`/openai` in `https://host/openai`); `/v1` is not repeated. */
  basePath?: string;
}

/** One protocol's part of a request: its API path, body and auth or version headers. */
interface ProtocolRequest {
  path: string;
  body: unknown;
  headers: Record<string, string>;
}

export const ANTHROPIC_VERSION = "2023-06-01";

/** Joins a base path and an API path without doubling `/v1`. */
export function apiPath(basePath: string, path: string): string {
  const base = basePath.replace(/\/+$/, "");
  return base.endsWith("/v1") && path.startsWith("/v1/") ? base + path.slice(3) : base + path;
}

function openaiRequest(input: ChatRequestInput): ProtocolRequest {
  const body: Record<string, unknown> = {
    model: input.model,
    messages: input.messages,
    max_tokens: input.maxTokens,
    stream: input.stream,
  };
  if (input.stream) body.stream_options = { include_usage: true };
  if (input.tools?.length)
    body.tools = input.tools.map((tool) => ({
      type: "function",
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
  const headers: Record<string, string> = {};
  if (input.apiKey) headers.authorization = `Bearer ${input.apiKey}`;
  return { path: "/v1/chat/completions", body, headers };
}

function anthropicRequest(input: ChatRequestInput): ProtocolRequest {
  const system = input.messages.filter((message) => message.role === "system");
  const body: Record<string, unknown> = {
    model: input.model,
    max_tokens: input.maxTokens,
    messages: input.messages.filter((message) => message.role !== "system"),
    stream: input.stream,
  };
  if (system.length > 0) body.system = system.map((message) => message.content).join("\n\n");
  if (input.tools?.length)
    body.tools = input.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: tool.parameters,
    }));
  const headers: Record<string, string> = { "anthropic-version": ANTHROPIC_VERSION };
  if (input.apiKey) headers["x-api-key"] = input.apiKey;
  return { path: "/v1/messages", body, headers };
}

function responsesRequest(input: ChatRequestInput): ProtocolRequest {
  const system = input.messages.filter((message) => message.role === "system");
  const body: Record<string, unknown> = {
    model: input.model,
    input: input.messages.filter((message) => message.role !== "system"),
    max_output_tokens: input.maxTokens,
    stream: input.stream,
    store: false,
  };
  if (system.length > 0) body.instructions = system.map((message) => message.content).join("\n\n");
  if (input.tools?.length)
    body.tools = input.tools.map((tool) => ({
      type: "function",
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters,
    }));
  const headers: Record<string, string> = {};
  if (input.apiKey) headers.authorization = `Bearer ${input.apiKey}`;
  return { path: "/v1/responses", body, headers };
}

const BUILDERS: Record<Protocol, (input: ChatRequestInput) => ProtocolRequest> = {
  openai: openaiRequest,
  anthropic: anthropicRequest,
  responses: responsesRequest,
};

/** The HTTP request for one chat turn in `input.protocol`. */
export function chatRequest(input: ChatRequestInput): RequestSpec {
  const { path, body, headers } = BUILDERS[input.protocol](input);
  return {
    method: "POST",
    path: apiPath(input.basePath ?? "", path),
    headers: {
      "content-type": "application/json",
      accept: input.stream ? "text/event-stream" : "application/json",
      ...input.headers,
      ...headers,
    },
    body: JSON.stringify(body),
    stream: input.stream,
  };
}
