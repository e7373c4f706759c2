/**
 * A Responses API request (`CreateResponse`) as a Chat Completions request, and what the response
 * must echo of it. Messages are built in `responses-to-chat-input.ts`, tools in
 * `responses-to-chat-tools.ts`.
 *
 * Parameters:
 * - `max_output_tokens` → `max_completion_tokens` (both include reasoning tokens);
 *   `temperature`, `top_p`, `user` as they are.
 * - `text.format`: `json_schema` → `response_format` json_schema (name, schema, strict,
 *   description), `json_object` → json_object, `text` → nothing (the default).
 * - `reasoning.effort` → `reasoning_effort` (`max` → `xhigh`, chat's top level); `reasoning.summary`
 *   has no chat equivalent and is dropped.
 * - `stream` → `stream` with `stream_options.include_usage`, so the final event has usage.
 * - Not sent upstream: `metadata` (echoed in the response), `store`, `include`,
 *   `previous_response_id`, `client_metadata`, `truncation`, `service_tier` (the gateway's
 *   concerns), `prompt_cache_key` and `safety_identifier` (routing hints; many chat servers refuse
 *   unknown fields), `top_logprobs` and `text.verbosity` (dropped).
 * - Refused (400): `background: true`, `conversation` and `prompt`, which need OpenAI's own state.
 * @module
 */
import type { ReasoningSealer } from "../responses/sealed-reasoning.js";
import {
  INCLUDE_ENCRYPTED_REASONING,
  type ResponsesCreateRequest,
  type ResponsesReasoningParam,
  type ResponsesTextParam,
  type ResponsesTool,
  type ResponsesToolChoice,
} from "../responses/types.js";
import { isJsonObject } from "./json.js";
import type { OpenAIChatRequest, OpenAIReasoningEffort, OpenAIResponseFormat } from "./openai-types.js";
import { chatMessages } from "./responses-to-chat-input.js";
import { chatTools, type HostedToolPolicy, type ToolNames } from "./responses-to-chat-tools.js";
import { Untranslatable } from "./untranslatable.js";

/** What the `Response` object repeats of its request. */
export interface ResponseEcho {
  readonly model: string;
  readonly instructions: string | null;
  readonly tools: ResponsesTool[];
  readonly tool_choice: ResponsesToolChoice;
  readonly parallel_tool_calls: boolean;
  readonly text: ResponsesTextParam;
  readonly reasoning: ResponsesReasoningParam | null;
  readonly max_output_tokens: number | null;
  readonly metadata: Record<string, string>;
  readonly temperature: number | null;
  readonly top_p: number | null;
  readonly store: boolean;
  readonly previous_response_id: string | null;
  readonly truncation: "auto" | "disabled";
  /** Echoed only when the request set them. */
  readonly optional: Readonly<Record<string, string>>;
}

/** The chat request, and what the response side needs to know about the Responses one. */
export interface ChatRequestPlan {
  readonly body: OpenAIChatRequest;
  readonly names: ToolNames;
  readonly dropped: string[];
  readonly echo: ResponseEcho;
  /** The client asked for `reasoning.encrypted_content`. */
  readonly sealReasoning: boolean;
}

/** Translates a request; throws {@link Untranslatable} for what a chat backend cannot be given. */
export function chatRequest(
  request: ResponsesCreateRequest,
  policy: HostedToolPolicy,
  sealer: ReasoningSealer | undefined,
): ChatRequestPlan {
  if (!isJsonObject(request)) throw new Untranslatable("The request body must be a JSON object.");
  refuseStateful(request);
  const { names, dropped, echo: tools, ...toolFields } = chatTools(request, policy);
  const body: OpenAIChatRequest = { model: request.model ?? "", messages: chatMessages(request, sealer) };
  if (typeof request.max_output_tokens === "number") body.max_completion_tokens = request.max_output_tokens;
  if (typeof request.temperature === "number") body.temperature = request.temperature;
  if (typeof request.top_p === "number") body.top_p = request.top_p;
  if (typeof request.user === "string") body.user = request.user;
  Object.assign(body, toolFields);
  const format = responseFormat(request.text);
  if (format !== undefined) body.response_format = format;
  const effort = reasoningEffort(request.reasoning);
  if (effort !== undefined) body.reasoning_effort = effort;
  if (typeof request.stream === "boolean") body.stream = request.stream;
  if (request.stream === true) body.stream_options = { include_usage: true };
  const include = Array.isArray(request.include) ? request.include : [];
  return {
    body,
    names,
    dropped,
    echo: echoOf(request, tools),
    sealReasoning: include.includes(INCLUDE_ENCRYPTED_REASONING),
  };
}

function refuseStateful(request: ResponsesCreateRequest): void {
  if (request.background === true) {
    throw new Untranslatable("Background responses are not supported for this backend.", "background");
  }
  for (const param of ["conversation", "prompt"] as const) {
    if (request[param] !== undefined && request[param] !== null) {
      throw new Untranslatable(`\`${param}\` needs OpenAI's own state and is not supported here.`, param);
    }
  }
}

function responseFormat(text: ResponsesCreateRequest["text"]): OpenAIResponseFormat | undefined {
  const format: unknown = isJsonObject(text) ? text.format : undefined;
  if (format === undefined || format === null) return undefined;
  if (!isJsonObject(format)) throw new Untranslatable("text.format must be an object.", "text.format");
  if (format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  if (format.type !== "json_schema") {
    throw new Untranslatable(
      "text.format.type must be text, json_object or json_schema.",
      "text.format.type",
    );
  }
  if (!isJsonObject(format.schema)) {
    throw new Untranslatable("A json_schema format needs a schema object.", "text.format.schema");
  }
  const spec: Extract<OpenAIResponseFormat, { type: "json_schema" }>["json_schema"] = {
    name: typeof format.name === "string" && format.name !== "" ? format.name : "response",
    schema: format.schema,
  };
  if (typeof format.description === "string") spec.description = format.description;
  if (typeof format.strict === "boolean") spec.strict = format.strict;
  return { type: "json_schema", json_schema: spec };
}

const EFFORTS: ReadonlySet<string> = new Set(["none", "minimal", "low", "medium", "high", "xhigh"]);

function reasoningEffort(reasoning: ResponsesCreateRequest["reasoning"]): OpenAIReasoningEffort | undefined {
  const effort = isJsonObject(reasoning) ? reasoning.effort : undefined;
  if (effort === "max") return "xhigh";
  return typeof effort === "string" && EFFORTS.has(effort) ? (effort as OpenAIReasoningEffort) : undefined;
}

function echoOf(request: ResponsesCreateRequest, tools: ResponsesTool[]): ResponseEcho {
  const number = (value: unknown) => (typeof value === "number" ? value : null);
  const optional: Record<string, string> = {};
  for (const key of ["user", "prompt_cache_key", "safety_identifier"] as const) {
    const value = request[key];
    if (typeof value === "string") optional[key] = value;
  }
  const reasoning = isJsonObject(request.reasoning) ? request.reasoning : null;
  return {
    model: typeof request.model === "string" ? request.model : "",
    instructions: typeof request.instructions === "string" ? request.instructions : null,
    tools,
    tool_choice: request.tool_choice ?? "auto",
    parallel_tool_calls: request.parallel_tool_calls !== false,
    text: isJsonObject(request.text) ? request.text : { format: { type: "text" } },
    reasoning:
      reasoning === null ? null : { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    max_output_tokens: number(request.max_output_tokens),
    metadata: isJsonObject(request.metadata) ? (request.metadata as Record<string, string>) : {},
    temperature: number(request.temperature),
    top_p: number(request.top_p),
    store: request.store !== false,
    previous_response_id:
      typeof request.previous_response_id === "string" ? request.previous_response_id : null,
    truncation: request.truncation === "auto" ? "auto" : "disabled",
    optional,
  };
}
