/**
 * A chat completion as a Responses API `Response`, and the pieces the stream converter shares with
 * that mapping (the envelope, output items, usage), so both paths build the same object.
 *
 * - Output order: one `reasoning` item (from `thinking_blocks`, else `reasoning_content`/`reasoning`)
 *   with the text as `reasoning_text` content and, when the client included
 *   `reasoning.encrypted_content`, the sealed blob; then a `message` with an `output_text` part
 *   (and a `refusal` part for `refusal`); then one `function_call` per tool call, its `call_id` the
 *   call's id and a namespaced function's flat name split back into `name` + `namespace`; a call to
 *   a `custom` tool is a `custom_tool_call` whose `input` is the `input` string of its arguments.
 * - `finish_reason: "length"` → `status: "incomplete"` with `incomplete_details.reason:
 *   "max_output_tokens"` (and `content_filter` alike); the last item is then `incomplete` too.
 * - usage: prompt → input (cached → `input_tokens_details.cached_tokens`), completion → output
 *   (reasoning → `output_tokens_details.reasoning_tokens`).
 * - Ids are fresh (`resp_…`, `rs_…`, `msg_…`, `fc_…`, `ctc_…`): the response store keys on them, and
 *   backends reuse theirs.
 * @module
 */
import type { AnthropicReasoningBlock } from "../anthropic/types.js";
import type { SealedReasoning } from "../responses/sealed-reasoning.js";
import type {
  ResponsesCustomToolCallItem,
  ResponsesErrorCode,
  ResponsesFunctionCallItem,
  ResponsesItemStatus,
  ResponsesOutputItem,
  ResponsesOutputMessage,
  ResponsesOutputPart,
  ResponsesReasoningItem,
  ResponsesResponse,
  ResponsesStatus,
  ResponsesUsage,
} from "../responses/types.js";
import { toolCallId } from "./ids.js";
import { isJsonObject, textOf } from "./json.js";
import type { OpenAIChatCompletion, OpenAIResponseMessage, OpenAIUsage } from "./openai-types.js";
import type { ResponseEcho } from "./responses-to-chat-request.js";
import type { ToolNames } from "./responses-to-chat-tools.js";
import { reasoningBlocks } from "./thinking-blocks.js";

/** What every `Response` of one request shares. */
export interface ResponseContext {
  readonly id: string;
  /** Seconds, as `created_at`. */
  readonly createdAt: number;
  readonly echo: ResponseEcho;
  readonly names: ToolNames;
  /** Seals reasoning for `encrypted_content`; absent when the client did not ask for it. */
  readonly seal: ((reasoning: SealedReasoning) => string) | undefined;
  readonly newId: () => string;
}

/** How a response ended, besides its output. */
export interface ResponseOutcome {
  readonly status: ResponsesStatus;
  readonly model: string;
  readonly output: ResponsesOutputItem[];
  readonly usage?: ResponsesUsage;
  readonly completedAt?: number | null;
  readonly error?: { code: ResponsesErrorCode; message: string } | null;
  readonly incompleteReason?: "max_output_tokens" | "content_filter";
}

/** The `Response` object for an outcome. */
export function responseObject(context: ResponseContext, outcome: ResponseOutcome): ResponsesResponse {
  const { echo } = context;
  const response: ResponsesResponse = {
    id: context.id,
    object: "response",
    created_at: context.createdAt,
    status: outcome.status,
    background: false,
    completed_at: outcome.completedAt ?? null,
    error: outcome.error ?? null,
    incomplete_details: outcome.incompleteReason === undefined ? null : { reason: outcome.incompleteReason },
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    metadata: echo.metadata,
    model: outcome.model,
    output: outcome.output,
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: echo.previous_response_id,
    reasoning: echo.reasoning,
    store: echo.store,
    temperature: echo.temperature,
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_p: echo.top_p,
    truncation: echo.truncation,
    ...echo.optional,
  };
  if (outcome.usage !== undefined) response.usage = outcome.usage;
  return response;
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** Responses usage for chat usage (zeros when it is missing). */
export function responsesUsage(usage: OpenAIUsage | null | undefined): ResponsesUsage {
  const input = count(usage?.prompt_tokens);
  const output = count(usage?.completion_tokens);
  return {
    input_tokens: input,
    input_tokens_details: {
      cached_tokens: count(usage?.prompt_tokens_details?.cached_tokens),
      cache_write_tokens: 0,
    },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: count(usage?.completion_tokens_details?.reasoning_tokens) },
    total_tokens: input + output,
  };
}

/** A reasoning item; the blob is sealed only for a finished item. */
export function reasoningItem(
  context: ResponseContext,
  id: string,
  text: string,
  blocks: readonly AnthropicReasoningBlock[],
  status: ResponsesItemStatus,
): ResponsesReasoningItem {
  const item: ResponsesReasoningItem = {
    id,
    type: "reasoning",
    summary: [],
    content: status === "in_progress" ? [] : [{ type: "reasoning_text", text }],
    status,
  };
  if (context.seal !== undefined && status !== "in_progress") {
    const signed = blocks.some((block) => block.type === "redacted_thinking" || block.signature !== "");
    item.encrypted_content = context.seal(signed ? { text, thinkingBlocks: blocks } : { text });
  }
  return item;
}

export function messageItem(
  id: string,
  content: ResponsesOutputPart[],
  status: ResponsesItemStatus,
): ResponsesOutputMessage {
  return { id, type: "message", role: "assistant", status, content };
}

export function outputText(text: string): ResponsesOutputPart {
  return { type: "output_text", text, annotations: [], logprobs: [] };
}

/** A function call item; `flatName` is the chat tool name, split back when it stands for a namespace's function. */
export function functionCallItem(
  context: ResponseContext,
  id: string,
  callId: string,
  flatName: string,
  args: string,
  status: ResponsesItemStatus,
): ResponsesFunctionCallItem {
  const { name, namespace } = context.names.resolve(flatName);
  const item: ResponsesFunctionCallItem = {
    id,
    type: "function_call",
    status,
    arguments: args,
    call_id: callId,
    name,
  };
  if (namespace !== undefined) item.namespace = namespace;
  return item;
}

/** Whether a chat tool name stands for a `custom` tool. */
export function isCustomCall(context: ResponseContext, flatName: string): boolean {
  return context.names.resolve(flatName).custom === true;
}

/**
 * The `input` of a custom call's chat arguments `{"input": "..."}`. Arguments that are not such JSON
 * (a model that ignored the schema) are passed on as they are, the likeliest reading of its intent.
 */
export function customInput(args: string): string {
  try {
    const parsed: unknown = JSON.parse(args);
    if (isJsonObject(parsed) && typeof parsed.input === "string") return parsed.input;
  } catch {
    // not JSON: taken as the input itself
  }
  return args;
}

/** A custom tool call item; `flatName` is the chat tool name. */
export function customCallItem(
  context: ResponseContext,
  id: string,
  callId: string,
  flatName: string,
  input: string,
  status: ResponsesItemStatus,
): ResponsesCustomToolCallItem {
  const { name, namespace } = context.names.resolve(flatName);
  const item: ResponsesCustomToolCallItem = {
    id,
    type: "custom_tool_call",
    status,
    call_id: callId,
    name,
    input,
  };
  if (namespace !== undefined) item.namespace = namespace;
  return item;
}

/** The incomplete reason a finish stands for, if any. */
export function incompleteReason(finish: unknown): "max_output_tokens" | "content_filter" | undefined {
  if (finish === "length") return "max_output_tokens";
  return finish === "content_filter" ? "content_filter" : undefined;
}

/** Marks the last item incomplete, as OpenAI does when output stopped inside it. */
export function markLastIncomplete(output: ResponsesOutputItem[]): void {
  const last = output.at(-1);
  if (last !== undefined) last.status = "incomplete";
}

/** A chat completion as a `Response` (see the module comment). */
export function responseFromCompletion(
  completion: unknown,
  context: ResponseContext,
  now: number,
): ResponsesResponse {
  const body: Partial<OpenAIChatCompletion> = isJsonObject(completion) ? completion : {};
  const choice = Array.isArray(body.choices) ? body.choices.find(isJsonObject) : undefined;
  const message: Partial<OpenAIResponseMessage> = isJsonObject(choice?.message) ? choice.message : {};
  const output: ResponsesOutputItem[] = [];
  const blocks = reasoningBlocks(message);
  if (blocks.length > 0) {
    const text = blocks.map((block) => (block.type === "thinking" ? block.thinking : "")).join("");
    output.push(reasoningItem(context, `rs_${context.newId()}`, text, blocks, "completed"));
  }
  const parts: ResponsesOutputPart[] = [];
  if (typeof message.content === "string" && message.content !== "") parts.push(outputText(message.content));
  if (typeof message.refusal === "string" && message.refusal !== "") {
    parts.push({ type: "refusal", refusal: message.refusal });
  }
  if (parts.length > 0) output.push(messageItem(`msg_${context.newId()}`, parts, "completed"));
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls.filter(isJsonObject) : [];
  for (const call of calls) {
    const callId = toolCallId("call_", call.id, context.newId);
    const args = call.function?.arguments;
    const text = typeof args === "string" ? args : isJsonObject(args) ? JSON.stringify(args) : "";
    const name = textOf(call.function?.name);
    output.push(
      isCustomCall(context, name)
        ? customCallItem(context, `ctc_${context.newId()}`, callId, name, customInput(text), "completed")
        : functionCallItem(context, `fc_${context.newId()}`, callId, name, text, "completed"),
    );
  }
  const reason = incompleteReason(choice?.finish_reason);
  if (reason !== undefined) markLastIncomplete(output);
  return responseObject(context, {
    status: reason === undefined ? "completed" : "incomplete",
    model: typeof body.model === "string" && body.model !== "" ? body.model : context.echo.model,
    output,
    usage: responsesUsage(body.usage),
    completedAt: reason === undefined ? now : null,
    ...(reason === undefined ? {} : { incompleteReason: reason }),
  });
}
