/**
 * An OpenAI Chat Completions request as an Anthropic Messages request.
 *
 * Messages:
 * - system and developer messages, wherever they stand, → `system` (one string message stays a
 *   string; otherwise each message's text becomes text blocks, in order). One in the middle of the
 *   conversation is hoisted too rather than kept in place as a `role: "system"` message: Anthropic
 *   takes those only on models from mid-2026 on (older ones answer 400), and the gateway cannot tell
 *   which model a backend runs. Hoisted, the instruction still applies; only its position is lost.
 * - user text/image parts → blocks (a base64 `data:` URL → base64 source, an http(s) URL → url
 *   source; `detail` has no Anthropic meaning). Audio and file parts are refused.
 * - assistant `tool_calls` → `tool_use` blocks (arguments parsed, see `tool-arguments.ts`);
 *   `refusal` → text; reasoning → thinking blocks (see `thinking-blocks.ts`). Unsigned thinking is
 *   dropped: Anthropic rejects a thinking block it cannot verify, and only ever uses the thinking of
 *   the turn in progress.
 * - tool messages → `tool_result` blocks in a user turn. Consecutive turns of one role are merged,
 *   since Anthropic wants roles to alternate and all of a turn's tool results in one user message.
 *
 * Parameters:
 * - `max_completion_tokens` ?? `max_tokens` → `max_tokens`, which Anthropic requires: when absent,
 *   {@link DEFAULT_MAX_TOKENS} plus the thinking budget.
 * - `reasoning_effort` → `thinking` with a budget from `reasoning-effort.ts`, shrunk to fit below
 *   `max_tokens` as Anthropic requires, and left off when less than Anthropic's 1,024 would fit.
 *   With thinking on, Anthropic refuses other sampling settings: `temperature` is kept only at 1,
 *   `top_p` only from 0.95, `top_k` never.
 * - `temperature` is capped at 1 (Anthropic's maximum; OpenAI allows 2). `top_k` (extension) passes.
 * - `stop` → `stop_sequences`; `user` → `metadata.user_id`; tools, `tool_choice`,
 *   `parallel_tool_calls` and `response_format` as `openai-to-anthropic-tools.ts` describes (a tool,
 *   not `output_config.format`, which only recent models accept). `reasoning_effort` becomes a
 *   thinking budget rather than `output_config.effort` for the same reason.
 * - Refused (400): `n` > 1, `logprobs`, audio output, legacy `functions`/`function_call`.
 * - Dropped: `frequency_penalty`, `presence_penalty`, `logit_bias`, `seed`, `service_tier`, `store`,
 *   `metadata`, `prediction`, `top_logprobs` and anything else Anthropic has no field for.
 * @module
 */
import type {
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicMessagesRequest,
  AnthropicRequestBlock,
  AnthropicTextBlock,
  AnthropicToolResultBlock,
} from "../anthropic/types.js";
import { isJsonObject, textOf } from "./json.js";
import { anthropicTools } from "./openai-to-anthropic-tools.js";
import type {
  OpenAIAssistantMessage,
  OpenAIChatRequest,
  OpenAIImagePart,
  OpenAIMessage,
  OpenAIToolMessage,
  OpenAIUserMessage,
} from "./openai-types.js";
import { budgetForEffort, MIN_THINKING_BUDGET } from "./reasoning-effort.js";
import { reasoningBlocks } from "./thinking-blocks.js";
import { inputFromArguments } from "./tool-arguments.js";
import { Untranslatable } from "./untranslatable.js";

/** `max_tokens` when the client set no limit: room for a long answer on every Claude model. */
export const DEFAULT_MAX_TOKENS = 4096;

/** The Anthropic request, and what the response needs to remember about the OpenAI one. */
export interface AnthropicRequestPlan {
  readonly body: AnthropicMessagesRequest;
  /** Whether the client asked for a usage chunk at the end of its stream. */
  readonly includeUsage: boolean;
  /** The name of the tool standing for `response_format`, whose input is the client's content. */
  readonly jsonTool: string | undefined;
}

/** Translates a request; throws {@link Untranslatable} for what Anthropic cannot express. */
export function anthropicRequest(request: OpenAIChatRequest): AnthropicRequestPlan {
  if (!isJsonObject(request) || !Array.isArray(request.messages)) {
    throw new Untranslatable("The request body must be an object with a `messages` array.", "messages");
  }
  refuseUnsupported(request);
  const { system, turns } = splitSystem(request.messages);
  const requested = maxTokens(request);
  const budget = thinkingBudget(request.reasoning_effort, requested);
  const body: AnthropicMessagesRequest = {
    model: request.model,
    messages: mergeTurns(turns),
    max_tokens: requested ?? DEFAULT_MAX_TOKENS + (budget ?? 0),
  };
  if (system !== undefined) body.system = system;
  if (budget !== undefined) body.thinking = { type: "enabled", budget_tokens: budget };
  const stop = typeof request.stop === "string" ? [request.stop] : request.stop;
  if (Array.isArray(stop) && stop.length > 0) body.stop_sequences = [...stop];
  applySampling(body, request, budget !== undefined);
  if (typeof request.user === "string") body.metadata = { user_id: request.user };
  const { jsonTool, ...tools } = anthropicTools(request, budget !== undefined);
  Object.assign(body, tools);
  if (typeof request.stream === "boolean") body.stream = request.stream;
  const includeUsage = request.stream === true && request.stream_options?.include_usage === true;
  return { body, includeUsage, jsonTool };
}

function refuseUnsupported(request: OpenAIChatRequest): void {
  if (typeof request.n === "number" && request.n > 1) {
    throw new Untranslatable("An Anthropic backend returns one choice: n must be 1.", "n");
  }
  if (request.logprobs === true) {
    throw new Untranslatable("An Anthropic backend does not return log probabilities.", "logprobs");
  }
  if (request.functions !== undefined || request.function_call !== undefined) {
    const param = request.functions !== undefined ? "functions" : "function_call";
    throw new Untranslatable("Legacy function calling is not translated: use tools and tool_choice.", param);
  }
  if (Array.isArray(request.modalities) && request.modalities.includes("audio")) {
    throw new Untranslatable("An Anthropic backend does not produce audio.", "modalities");
  }
}

function maxTokens(request: OpenAIChatRequest): number | undefined {
  if (typeof request.max_completion_tokens === "number") return request.max_completion_tokens;
  return typeof request.max_tokens === "number" ? request.max_tokens : undefined;
}

function thinkingBudget(effort: unknown, maxTokens: number | undefined): number | undefined {
  if (typeof effort !== "string") return undefined;
  const budget = budgetForEffort(effort);
  if (budget === undefined || maxTokens === undefined) return budget;
  const fitted = Math.min(budget, maxTokens - 1);
  return fitted >= MIN_THINKING_BUDGET ? fitted : undefined;
}

function applySampling(body: AnthropicMessagesRequest, request: OpenAIChatRequest, thinking: boolean): void {
  const { temperature, top_p: topP, top_k: topK } = request;
  if (typeof temperature === "number" && (!thinking || temperature === 1))
    body.temperature = Math.min(temperature, 1);
  if (typeof topP === "number" && (!thinking || topP >= 0.95)) body.top_p = topP;
  if (typeof topK === "number" && !thinking) body.top_k = topK;
}

function splitSystem(messages: readonly OpenAIMessage[]): {
  system: AnthropicMessagesRequest["system"];
  turns: AnthropicMessageParam[];
} {
  const systems: OpenAIMessage[] = [];
  const blocks: AnthropicTextBlock[] = [];
  const turns: AnthropicMessageParam[] = [];
  messages.forEach((message, at) => {
    if (message?.role === "system" || message?.role === "developer") {
      systems.push(message);
      blocks.push(...textBlocks(message.content, `messages.${at}.content`));
    } else turns.push(anthropicMessage(message, at));
  });
  const [only] = systems;
  if (only === undefined) return { system: undefined, turns };
  const system = systems.length === 1 && typeof only.content === "string" ? only.content : blocks;
  return { system, turns };
}

/** Text as blocks; empty text is left out because Anthropic refuses empty text blocks. */
function textBlocks(content: unknown, path: string): AnthropicTextBlock[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  if (!Array.isArray(content))
    throw new Untranslatable("Content must be a string or an array of parts.", path);
  return content.flatMap((part: unknown, i): AnthropicTextBlock[] => {
    if (!isJsonObject(part) || part.type !== "text" || typeof part.text !== "string") {
      throw new Untranslatable("Only text parts can be translated here.", `${path}.${i}`);
    }
    return part.text === "" ? [] : [{ type: "text", text: part.text }];
  });
}

function anthropicMessage(message: OpenAIMessage, at: number): AnthropicMessageParam {
  switch (message?.role) {
    case "user":
      return { role: "user", content: userContent(message, at) };
    case "assistant":
      return { role: "assistant", content: assistantContent(message, at) };
    case "tool":
      return { role: "user", content: [toolResult(message, at)] };
    default: {
      const role = textOf((message as { role?: unknown } | null)?.role);
      throw new Untranslatable(`Messages with role "${role}" are not translated.`, `messages.${at}.role`);
    }
  }
}

function userContent(message: OpenAIUserMessage, at: number): string | AnthropicRequestBlock[] {
  const path = `messages.${at}.content`;
  if (typeof message.content === "string") return message.content;
  if (!Array.isArray(message.content))
    throw new Untranslatable("Content must be a string or an array of parts.", path);
  return message.content.map((part, i): AnthropicRequestBlock => {
    if (part?.type === "text") return { type: "text", text: part.text };
    if (part?.type === "image_url") return imageBlock(part, `${path}.${i}`);
    const type = textOf((part as { type?: unknown } | null)?.type);
    throw new Untranslatable(
      `Content parts of type "${type}" are not translated to Anthropic.`,
      `${path}.${i}`,
    );
  });
}

function imageBlock(part: OpenAIImagePart, path: string): AnthropicImageBlock {
  const url = part.image_url?.url;
  if (typeof url === "string" && url.startsWith("data:")) {
    const comma = url.indexOf(",");
    const header = comma < 0 ? "" : url.slice("data:".length, comma);
    if (header.endsWith(";base64")) {
      const mediaType = header.slice(0, header.indexOf(";"));
      return { type: "image", source: { type: "base64", media_type: mediaType, data: url.slice(comma + 1) } };
    }
  } else if (typeof url === "string" && /^https?:\/\//i.test(url)) {
    return { type: "image", source: { type: "url", url } };
  }
  throw new Untranslatable("Image URLs must be http(s) URLs or base64 data URLs.", `${path}.image_url.url`);
}

function assistantContent(message: OpenAIAssistantMessage, at: number): string | AnthropicRequestBlock[] {
  const reasoning = reasoningBlocks(message).filter(
    (b) => b.type === "redacted_thinking" || b.signature !== "",
  );
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  const refusal = typeof message.refusal === "string" && message.refusal !== "" ? message.refusal : undefined;
  const plain = reasoning.length === 0 && calls.length === 0 && refusal === undefined;
  if (plain && typeof message.content === "string") return message.content;
  const blocks: AnthropicRequestBlock[] = [...reasoning];
  const content = message.content ?? "";
  if (typeof content === "string") blocks.push(...textBlocks(content, `messages.${at}.content`));
  else if (Array.isArray(content)) {
    for (const part of content) {
      const text = part?.type === "refusal" ? part.refusal : part?.type === "text" ? part.text : "";
      if (typeof text === "string" && text !== "") blocks.push({ type: "text", text });
    }
  }
  if (refusal !== undefined) blocks.push({ type: "text", text: refusal });
  calls.forEach((call, i) => {
    if (call?.type !== undefined && call.type !== "function") {
      throw new Untranslatable("Only function tool calls are translated.", `messages.${at}.tool_calls.${i}`);
    }
    const input = inputFromArguments(call.function?.arguments);
    blocks.push({ type: "tool_use", id: call.id, name: call.function?.name, input });
  });
  return blocks;
}

function toolResult(message: OpenAIToolMessage, at: number): AnthropicToolResultBlock {
  const content = message.content;
  const block: AnthropicToolResultBlock = {
    type: "tool_result",
    tool_use_id: message.tool_call_id,
    content: typeof content === "string" ? content : textBlocks(content, `messages.${at}.content`),
  };
  if (message.is_error === true) block.is_error = true;
  return block;
}

function asBlocks(content: string | AnthropicRequestBlock[]): AnthropicRequestBlock[] {
  if (typeof content !== "string") return content;
  return content === "" ? [] : [{ type: "text", text: content }];
}

function mergeTurns(turns: readonly AnthropicMessageParam[]): AnthropicMessageParam[] {
  const merged: AnthropicMessageParam[] = [];
  for (const turn of turns) {
    const last = merged.at(-1);
    if (last?.role === turn.role) last.content = [...asBlocks(last.content), ...asBlocks(turn.content)];
    else merged.push(turn);
  }
  return merged;
}
