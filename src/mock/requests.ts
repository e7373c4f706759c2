/**
 * The request fields the mock reads, validated with zod, and the texts it derives from them.
 * Unknown fields are accepted and ignored (clients send many the mock has no use for).
 * A failed parse yields a message and the offending parameter, for a 400 in the route's protocol.
 * @module
 */
import { z } from "zod";
import { renderChatPrompt, renderMessagesPrompt } from "./engine-sim/prompt.js";
import { countTokens } from "./script.js";
import { chooseTool, type OfferedTool, type ToolChoice, type ToolDecision } from "./tool-choice.js";

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; param: string | null };

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const openAIContent = z.union([z.string(), z.array(contentPart), z.null()]).optional();
const openAIMessage = z.looseObject({ role: z.string(), content: openAIContent });
const streamOptions = z.looseObject({ include_usage: z.boolean().nullish() }).nullish();
const tokenLimit = z.number().int().min(1).nullish();

const openAITool = z.looseObject({ function: z.looseObject({ name: z.string().min(1) }).optional() });
const chatSchema = z.object({
  model: z.string().min(1),
  messages: z.array(openAIMessage).min(1),
  tools: z.array(openAITool).nullish(),
  tool_choice: z.unknown().optional(),
  stream: z.boolean().nullish(),
  stream_options: streamOptions,
  max_tokens: tokenLimit,
  max_completion_tokens: tokenLimit,
  ignore_eos: z.boolean().nullish(),
});

const tokenArray = z.array(z.number().int());
const completionSchema = z.object({
  model: z.string().min(1),
  prompt: z.union([z.string(), z.array(z.string()), tokenArray, z.array(tokenArray)]),
  stream: z.boolean().nullish(),
  stream_options: streamOptions,
  max_tokens: tokenLimit,
  ignore_eos: z.boolean().nullish(),
});

const embeddingSchema = z.object({
  model: z.string().min(1),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    tokenArray.min(1),
    z.array(tokenArray.min(1)).min(1),
  ]),
  dimensions: z.number().int().min(1).max(65_536).nullish(),
  encoding_format: z.enum(["float", "base64"]).nullish(),
});

const anthropicBlock = z.looseObject({ type: z.string(), text: z.string().optional() });
const anthropicContent = z.union([z.string(), z.array(anthropicBlock)]);
const messagesSchema = z.object({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z
    .array(z.looseObject({ role: z.enum(["user", "assistant", "system"]), content: anthropicContent }))
    .min(1),
  system: anthropicContent.optional(),
  stream: z.boolean().optional(),
  tools: z.array(z.looseObject({ name: z.string().min(1) })).optional(),
  tool_choice: z.looseObject({ type: z.string(), name: z.string().optional() }).optional(),
  thinking: z.looseObject({ type: z.string() }).optional(),
});

function parseWith<T>(schema: z.ZodType<T>, body: unknown): Parsed<T> {
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0]!;
  const param = issue.path.length > 0 ? issue.path.join(".") : null;
  return { ok: false, message: param ? `${param}: ${issue.message}` : issue.message, param };
}

type Content = string | ReadonlyArray<{ type: string; text?: string | undefined }> | null | undefined;

/** The text of a message's content: the string, or its text parts joined with a space. */
export function contentText(content: Content): string {
  if (typeof content === "string") return content;
  if (!content) return "";
  let text = "";
  for (const part of content) {
    if (part.type !== "text" || part.text === undefined) continue;
    text = text.length === 0 ? part.text : `${text} ${part.text}`;
  }
  return text;
}

function lastUserText(messages: ReadonlyArray<{ role: string; content?: Content }>): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === "user") return contentText(messages[i]!.content);
  }
  return "";
}

/** What every text-generating route needs from its request. */
export interface GenerationRequest {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  maxTokens: number | undefined;
  /** What the reply echoes: the last user message, or the prompt. */
  userText: string;
  /** Every text of the request, for prompt token counting. */
  promptTexts: string[];
  /**
   * A chat ending with an assistant message asks for a continuation of it (assistant prefill, as a
   * gateway resuming a broken stream sends): the reply resumes after as many tokens as the prefill
   * has, so a resumed stream reads as one reply.
   */
  continueAfterTokens?: number;
  /** The tool to call instead of answering (see tool-choice.ts); absent for a text answer. */
  tool?: ToolDecision;
  /** vLLM's `ignore_eos`: generate `maxTokens` tokens whatever the answer (benchmarks set it). */
  ignoreEos?: boolean;
  /** The prompt as an engine's chat template renders it (the engine simulator's input); computed once, on demand. */
  renderPrompt(): string;
}

/** A function that renders once and then returns the same text. */
function once(render: () => string): () => string {
  let text: string | undefined;
  return () => {
    text ??= render();
    return text;
  };
}

export function parseChatRequest(body: unknown): Parsed<GenerationRequest> {
  const parsed = parseWith(chatSchema, body);
  if (!parsed.ok) return parsed;
  const request = parsed.value;
  const userText = lastUserText(request.messages);
  return {
    ok: true,
    value: {
      model: request.model,
      stream: request.stream === true,
      includeUsage: request.stream_options?.include_usage === true,
      maxTokens: request.max_completion_tokens ?? request.max_tokens ?? undefined,
      userText,
      promptTexts: request.messages.map((message) => contentText(message.content)),
      ignoreEos: request.ignore_eos === true,
      renderPrompt: once(() => renderChatPrompt(request.messages, request.tools)),
      ...prefillOf(request.messages),
      ...openAIToolOf(request, userText),
    },
  };
}

/** OpenAI's `tool_choice`: "none" | "auto" | "required" | `{type: "function", function: {name}}`. */
function openAIChoice(choice: unknown): ToolChoice {
  if (choice === "none" || choice === "required") return { kind: choice };
  const name = (choice as { function?: { name?: unknown } } | null | undefined)?.function?.name;
  return typeof name === "string" ? { kind: "named", name } : { kind: "auto" };
}

/**
 * The last turn of a conversation, instructions aside: agents put system entries after the user's
 * turn (Claude Code's environment block with a model name it does not know), which end no turn.
 */
function lastTurn<M extends { role: string }>(messages: readonly M[]): M | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const role = messages[i]!.role;
    if (role !== "system" && role !== "developer") return messages[i];
  }
  return undefined;
}

/** OpenAI: only a request that ends with a user turn may get a tool call. */
function openAIToolOf(request: z.infer<typeof chatSchema>, userText: string): { tool?: ToolDecision } {
  if (lastTurn(request.messages)?.role !== "user") return {};
  const offered: OfferedTool[] = [];
  for (const tool of request.tools ?? []) {
    if (tool.function) offered.push({ name: tool.function.name, schema: tool.function.parameters });
  }
  const tool = chooseTool(offered, openAIChoice(request.tool_choice), userText);
  return tool ? { tool } : {};
}

function prefillOf(messages: ReadonlyArray<{ role: string; content?: Content }>): {
  continueAfterTokens?: number;
} {
  const last = messages.at(-1);
  if (last?.role !== "assistant") return {};
  return { continueAfterTokens: countTokens(contentText(last.content)) };
}

/** A prompt as text: strings joined with a space; token ids written as numbers. */
function promptText(prompt: string | string[] | number[] | number[][]): string {
  if (typeof prompt === "string") return prompt;
  return prompt.map((item) => (Array.isArray(item) ? item.join(" ") : String(item))).join(" ");
}

export function parseCompletionRequest(body: unknown): Parsed<GenerationRequest> {
  const parsed = parseWith(completionSchema, body);
  if (!parsed.ok) return parsed;
  const request = parsed.value;
  const text = promptText(request.prompt);
  return {
    ok: true,
    value: {
      model: request.model,
      stream: request.stream === true,
      includeUsage: request.stream_options?.include_usage === true,
      maxTokens: request.max_tokens ?? undefined,
      userText: text,
      promptTexts: [text],
      ignoreEos: request.ignore_eos === true,
      renderPrompt: () => text,
    },
  };
}

/** One embedding input: the content it is hashed from and its token count. */
export interface EmbeddingInput {
  content: string;
  tokens: number;
}

export interface EmbeddingRequest {
  model: string;
  inputs: EmbeddingInput[];
  dimensions: number | undefined;
  encoding: "float" | "base64";
}

export function parseEmbeddingRequest(body: unknown): Parsed<EmbeddingRequest> {
  const parsed = parseWith(embeddingSchema, body);
  if (!parsed.ok) return parsed;
  const { model, input, dimensions, encoding_format } = parsed.value;
  let inputs: EmbeddingInput[];
  if (typeof input === "string") inputs = [{ content: input, tokens: countTokens(input) }];
  else if (input.every((item) => typeof item === "string")) {
    inputs = input.map((item) => ({ content: item, tokens: countTokens(item) }));
  } else if (input.every((item) => typeof item === "number")) {
    inputs = [{ content: `tokens:${input.join(",")}`, tokens: input.length }];
  } else {
    inputs = (input as number[][]).map((ids) => ({ content: `tokens:${ids.join(",")}`, tokens: ids.length }));
  }
  return {
    ok: true,
    value: { model, inputs, dimensions: dimensions ?? undefined, encoding: encoding_format ?? "float" },
  };
}

export interface MessagesRequest extends GenerationRequest {
  /** The client asked for thinking blocks (`thinking: {type: "enabled"}`). */
  thinking: boolean;
}

/** The texts a Messages request's input tokens are counted over: each message's, then the system's. */
function messagesPromptTexts(messages: ReadonlyArray<{ content: Content }>, system: Content): string[] {
  const texts = messages.map((message) => contentText(message.content));
  if (system !== undefined) texts.push(contentText(system));
  return texts;
}

export function parseMessagesRequest(body: unknown): Parsed<MessagesRequest> {
  const parsed = parseWith(messagesSchema, body);
  if (!parsed.ok) return parsed;
  const request = parsed.value;
  const promptTexts = messagesPromptTexts(request.messages, request.system);
  const userText = lastUserText(request.messages);
  return {
    ok: true,
    value: {
      model: request.model,
      stream: request.stream === true,
      includeUsage: true,
      maxTokens: request.max_tokens,
      userText,
      promptTexts,
      renderPrompt: once(() => renderMessagesPrompt(request.system, request.messages, request.tools)),
      thinking: request.thinking?.type === "enabled" || request.thinking?.type === "adaptive",
      ...anthropicToolOf(request, userText),
    },
  };
}

/** Anthropic's `tool_choice`: `{type: "auto" | "any" | "none" | "tool", name?}`. */
function anthropicChoice(choice: z.infer<typeof messagesSchema>["tool_choice"]): ToolChoice {
  if (choice?.type === "none") return { kind: "none" };
  if (choice?.type === "any") return { kind: "required" };
  if (choice?.type === "tool" && choice.name !== undefined) return { kind: "named", name: choice.name };
  return { kind: "auto" };
}

/** Anthropic: the same rule; a user turn that carries tool results is a tool answering. */
function anthropicToolOf(request: z.infer<typeof messagesSchema>, userText: string): { tool?: ToolDecision } {
  const last = lastTurn(request.messages);
  if (last?.role !== "user") return {};
  if (Array.isArray(last.content) && last.content.some((block) => block.type === "tool_result")) return {};
  const offered = (request.tools ?? []).map((tool) => ({ name: tool.name, schema: tool.input_schema }));
  const tool = chooseTool(offered, anthropicChoice(request.tool_choice), userText);
  return tool ? { tool } : {};
}

/** What `/tokenize` counts, and which server's answer shape the body asked for. */
export interface TokenizeRequest {
  model?: string | undefined;
  /** `vllm`: `{model, prompt}` or `{model, messages}`; `llama.cpp`: `{content}`. */
  shape: "vllm" | "llama.cpp";
  /** The texts counted: the prompt, each message's content, or the content. */
  texts: string[];
}

const tokenizeSchema = z.object({
  model: z.string().min(1).optional(),
  prompt: z.string().optional(),
  messages: z.array(openAIMessage).min(1).optional(),
  content: z.string().optional(),
});

/** vLLM's and llama.cpp's `/tokenize` bodies; `messages` wins over `prompt`, which wins over `content`. */
export function parseTokenizeRequest(body: unknown): Parsed<TokenizeRequest> {
  const parsed = parseWith(tokenizeSchema, body);
  if (!parsed.ok) return parsed;
  const { model, prompt, messages, content } = parsed.value;
  if (messages !== undefined) {
    return {
      ok: true,
      value: { model, shape: "vllm", texts: messages.map((item) => contentText(item.content)) },
    };
  }
  if (prompt !== undefined) return { ok: true, value: { model, shape: "vllm", texts: [prompt] } };
  if (content !== undefined) return { ok: true, value: { model, shape: "llama.cpp", texts: [content] } };
  return { ok: false, message: "one of 'prompt', 'messages' or 'content' is required", param: "prompt" };
}

export interface CountTokensRequest {
  model: string;
  /** Every text the matching Messages request counts as input (the same as its usage). */
  promptTexts: string[];
}

/** `POST /v1/messages/count_tokens`: a Messages body without `max_tokens`. */
export function parseCountTokensRequest(body: unknown): Parsed<CountTokensRequest> {
  const parsed = parseWith(messagesSchema.omit({ max_tokens: true }), body);
  if (!parsed.ok) return parsed;
  const { model, messages, system } = parsed.value;
  return { ok: true, value: { model, promptTexts: messagesPromptTexts(messages, system) } };
}
