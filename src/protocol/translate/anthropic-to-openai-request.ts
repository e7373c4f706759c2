/**
 * An Anthropic Messages request as an OpenAI Chat Completions request.
 *
 * Blocks and their messages:
 * - `system` → one system message (a string stays a string; text blocks become text parts).
 * - a `role: "system"` entry among the messages → a system message in the same place (engines'
 *   chat templates take system turns mid-conversation; moving it would change what it applies to).
 * - user text/image blocks → content parts (a base64 image becomes a `data:` URL).
 * - user `tool_result` blocks → `role: "tool"` messages placed before the rest of that user turn,
 *   their content flattened to text (text blocks joined by newlines) and `is_error` kept as an
 *   extension field. OpenAI tool messages cannot hold images, so a tool result's images move to the
 *   user message that follows the tool messages.
 * - assistant text → text parts; `tool_use` → `tool_calls` (input JSON-stringified); thinking and
 *   redacted thinking → `reasoning_content` + `thinking_blocks` (see `thinking-blocks.ts`).
 * - `cache_control` is a hint with no OpenAI meaning and is dropped; server tools and block types
 *   not listed here are refused.
 *
 * Parameters: `max_tokens` → `max_tokens`, or `max_completion_tokens` when thinking is on (reasoning
 * models refuse `max_tokens`, and Anthropic's limit includes thinking like OpenAI's completion limit
 * does); `stop_sequences` → `stop`; `temperature`, `top_p` as is; `top_k` as the extension vLLM and
 * SGLang read; `metadata.user_id` → `user`; thinking → `reasoning_effort` (see
 * `reasoning-effort.ts`); `output_config.effort` → `reasoning_effort` with adaptive thinking, and
 * alone (effort steers how much the model spends, reasoning included), but not with thinking
 * disabled; `output_config.format` (structured output) → `response_format` json_schema, strict as
 * Anthropic's is; `stream` → `stream` with `stream_options.include_usage` so that the final usage
 * reaches the client.
 *
 * Dropped, having no OpenAI meaning: `cache_control` (top level and on blocks), `context_management`
 * (Anthropic edits the context server-side; an OpenAI backend gets the whole conversation), and any
 * other field not named here (`service_tier`, `container`, `mcp_servers`, …).
 * @module
 */
import type {
  AnthropicImageBlock,
  AnthropicInputMessage,
  AnthropicMessagesRequest,
  AnthropicReasoningBlock,
  AnthropicRequestBlock,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolResultBlock,
} from "../anthropic/types.js";
import { isJsonObject, textOf } from "./json.js";
import type {
  OpenAIAssistantMessage,
  OpenAIChatRequest,
  OpenAIFunctionTool,
  OpenAIImagePart,
  OpenAIMessage,
  OpenAIReasoningEffort,
  OpenAIResponseFormat,
  OpenAISystemMessage,
  OpenAITextPart,
  OpenAIToolCall,
  OpenAIToolChoice,
  OpenAIToolMessage,
  OpenAIUserPart,
} from "./openai-types.js";
import { effortForAdaptive, effortForBudget } from "./reasoning-effort.js";
import { reasoningFields } from "./thinking-blocks.js";
import { argumentsFromInput } from "./tool-arguments.js";
import { Untranslatable } from "./untranslatable.js";

/** The `json_schema.name` that `output_config.format` travels under (Anthropic's format has none). */
export const STRUCTURED_OUTPUT_NAME = "structured_output";

/** Translates a request; throws {@link Untranslatable} for what OpenAI cannot express. */
export function openAIRequest(request: AnthropicMessagesRequest): OpenAIChatRequest {
  if (!isJsonObject(request) || !Array.isArray(request.messages)) {
    throw new Untranslatable("The request body must be an object with a `messages` array.", "messages");
  }
  const body: OpenAIChatRequest = {
    model: request.model,
    messages: [...systemMessages(request.system), ...request.messages.flatMap(openAIMessages)],
  };
  const effort = reasoningEffort(request);
  if (typeof request.max_tokens === "number") {
    if (effort === undefined) body.max_tokens = request.max_tokens;
    else body.max_completion_tokens = request.max_tokens;
  }
  if (Array.isArray(request.stop_sequences) && request.stop_sequences.length > 0) {
    body.stop = [...request.stop_sequences];
  }
  if (typeof request.temperature === "number") body.temperature = request.temperature;
  if (typeof request.top_p === "number") body.top_p = request.top_p;
  if (typeof request.top_k === "number") body.top_k = request.top_k;
  if (typeof request.metadata?.user_id === "string") body.user = request.metadata.user_id;
  if (Array.isArray(request.tools) && request.tools.length > 0) {
    body.tools = request.tools.map(functionTool);
    if (request.tool_choice !== undefined) applyToolChoice(body, request.tool_choice);
  }
  if (effort !== undefined) body.reasoning_effort = effort;
  const format = responseFormat(request.output_config);
  if (format !== undefined) body.response_format = format;
  if (typeof request.stream === "boolean") body.stream = request.stream;
  if (request.stream === true) body.stream_options = { include_usage: true };
  return body;
}

function reasoningEffort(request: AnthropicMessagesRequest): OpenAIReasoningEffort | undefined {
  const thinking = request.thinking;
  if (thinking?.type === "enabled") return effortForBudget(thinking.budget_tokens);
  if (thinking?.type === "disabled") return undefined;
  const effort = request.output_config?.effort;
  if (thinking?.type === "adaptive") return effortForAdaptive(effort);
  return typeof effort === "string" ? effortForAdaptive(effort) : undefined;
}

function responseFormat(config: unknown): OpenAIResponseFormat | undefined {
  const format = isJsonObject(config) ? config.format : undefined;
  if (format === undefined || format === null) return undefined;
  if (!isJsonObject(format) || format.type !== "json_schema" || !isJsonObject(format.schema)) {
    throw new Untranslatable(
      'output_config.format must be {"type": "json_schema", "schema": {…}}.',
      "output_config.format",
    );
  }
  return {
    type: "json_schema",
    json_schema: { name: STRUCTURED_OUTPUT_NAME, schema: format.schema, strict: true },
  };
}

function systemMessages(system: AnthropicMessagesRequest["system"]): OpenAIMessage[] {
  if (typeof system === "string") return [{ role: "system", content: system }];
  return Array.isArray(system) ? [systemMessage(system, "system")] : [];
}

function systemMessage(content: unknown, path: string): OpenAISystemMessage {
  if (typeof content === "string") return { role: "system", content };
  if (!Array.isArray(content)) {
    throw new Untranslatable("System content must be a string or an array of text blocks.", path);
  }
  const parts = content.map((block: unknown, i): OpenAITextPart => {
    if (!isJsonObject(block) || block.type !== "text" || typeof block.text !== "string") {
      throw new Untranslatable("System blocks must be text blocks.", `${path}.${i}`);
    }
    return { type: "text", text: block.text };
  });
  return { role: "system", content: parts };
}

function openAIMessages(message: AnthropicInputMessage, at: number): OpenAIMessage[] {
  const { role, content } = message;
  if (role === "system") return [systemMessage(content, `messages.${at}.content`)];
  if (role !== "user" && role !== "assistant") {
    throw new Untranslatable(`Unknown message role "${textOf(role)}".`, `messages.${at}.role`);
  }
  if (typeof content === "string") return [{ role, content }];
  if (!Array.isArray(content)) {
    throw new Untranslatable(
      "Message content must be a string or an array of blocks.",
      `messages.${at}.content`,
    );
  }
  return role === "user" ? userMessages(content, at) : [assistantMessage(content, at)];
}

function refuseBlock(block: AnthropicRequestBlock, role: string, path: string): never {
  const type = textOf((block as { type?: unknown }).type);
  throw new Untranslatable(`A ${role} message cannot carry a "${type}" block to an OpenAI backend.`, path);
}

/** Tool results first (OpenAI wants them right after the assistant's calls), then the rest of the turn. */
function userMessages(blocks: readonly AnthropicRequestBlock[], at: number): OpenAIMessage[] {
  const toolMessages: OpenAIToolMessage[] = [];
  const movedImages: OpenAIImagePart[] = [];
  const parts: OpenAIUserPart[] = [];
  blocks.forEach((block, i) => {
    const path = `messages.${at}.content.${i}`;
    if (block.type === "text") parts.push({ type: "text", text: block.text });
    else if (block.type === "image") parts.push(imagePart(block, path));
    else if (block.type === "tool_result") toolMessages.push(toolMessage(block, movedImages, path));
    else refuseBlock(block, "user", path);
  });
  const rest = [...movedImages, ...parts];
  if (rest.length === 0 && toolMessages.length > 0) return toolMessages;
  return [...toolMessages, { role: "user", content: rest }];
}

function toolMessage(
  block: AnthropicToolResultBlock,
  movedImages: OpenAIImagePart[],
  path: string,
): OpenAIToolMessage {
  const texts: string[] = [];
  if (typeof block.content === "string") texts.push(block.content);
  else if (Array.isArray(block.content)) {
    block.content.forEach((inner, i) => {
      if (inner.type === "text") texts.push(inner.text);
      else if (inner.type === "image") movedImages.push(imagePart(inner, `${path}.content.${i}`));
      else refuseBlock(inner, "tool result", `${path}.content.${i}`);
    });
  }
  const message: OpenAIToolMessage = {
    role: "tool",
    tool_call_id: block.tool_use_id,
    content: texts.join("\n"),
  };
  if (block.is_error === true) message.is_error = true;
  return message;
}

function imagePart(block: AnthropicImageBlock, path: string): OpenAIImagePart {
  const source = block.source;
  if (source?.type === "base64") {
    return { type: "image_url", image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  }
  if (source?.type === "url") return { type: "image_url", image_url: { url: source.url } };
  throw new Untranslatable("Images must have a base64 or url source.", `${path}.source`);
}

function assistantMessage(blocks: readonly AnthropicRequestBlock[], at: number): OpenAIAssistantMessage {
  const texts: OpenAITextPart[] = [];
  const calls: OpenAIToolCall[] = [];
  const reasoning: AnthropicReasoningBlock[] = [];
  blocks.forEach((block, i) => {
    if (block.type === "text") texts.push({ type: "text", text: block.text });
    else if (block.type === "tool_use") {
      const args = argumentsFromInput(block.input);
      calls.push({ id: block.id, type: "function", function: { name: block.name, arguments: args } });
    } else if (block.type === "thinking") {
      reasoning.push({ type: "thinking", thinking: block.thinking, signature: block.signature });
    } else if (block.type === "redacted_thinking")
      reasoning.push({ type: "redacted_thinking", data: block.data });
    else refuseBlock(block, "assistant", `messages.${at}.content.${i}`);
  });
  const message: OpenAIAssistantMessage = {
    role: "assistant",
    content: texts.length > 0 ? texts : null,
    ...reasoningFields(reasoning),
  };
  if (calls.length > 0) message.tool_calls = calls;
  return message;
}

function functionTool(tool: AnthropicTool, i: number): OpenAIFunctionTool {
  if (tool.type !== undefined && tool.type !== "custom") {
    throw new Untranslatable(`Server tool "${textOf(tool.type)}" has no OpenAI equivalent.`, `tools.${i}`);
  }
  const fn: OpenAIFunctionTool["function"] = { name: tool.name, parameters: tool.input_schema };
  if (typeof tool.description === "string") fn.description = tool.description;
  return { type: "function", function: fn };
}

function applyToolChoice(body: OpenAIChatRequest, choice: AnthropicToolChoice): void {
  body.tool_choice = toolChoice(choice);
  if ("disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use === true) {
    body.parallel_tool_calls = false;
  }
}

function toolChoice(choice: AnthropicToolChoice): OpenAIToolChoice {
  switch (choice?.type) {
    case "auto":
      return "auto";
    case "any":
      return "required";
    case "none":
      return "none";
    case "tool":
      return { type: "function", function: { name: choice.name } };
    default:
      throw new Untranslatable("tool_choice.type must be auto, any, tool or none.", "tool_choice");
  }
}
