/**
 * OpenAI response bodies and SSE streams for a planned reply: pure functions, no I/O.
 * Per-token stream frames are built by string concatenation around a pre-rendered prefix and suffix: they
 * are the benchmark's hot path, and `JSON.stringify` of the token alone is all that varies.
 * @module
 */
import { SSE_DONE } from "../protocol/sse.js";
import { argumentFragments, type ReplyPlan, vectorToBase64, vectorToFloats } from "./script.js";
import type { StreamFrames } from "./stream-frames.js";

/** What every response of one request shares. */
export interface ResponseMeta {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
  readonly fingerprint: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usageOf(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

function finishReason(plan: ReplyPlan): "stop" | "length" | "tool_calls" {
  if (plan.toolCall) return "tool_calls";
  return plan.truncated ? "length" : "stop";
}

function toolCalls(plan: ReplyPlan) {
  const call = plan.toolCall!;
  return [{ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }];
}

/** The reasoning a plan returns apart, as vLLM's and SGLang's reasoning parsers name it. */
function reasoning(plan: ReplyPlan): { reasoning_content?: string } {
  return plan.thinking.length > 0 ? { reasoning_content: plan.thinking.join("") } : {};
}

export function chatCompletion(meta: ResponseMeta, plan: ReplyPlan, usage: Usage) {
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: plan.toolCall
          ? {
              role: "assistant",
              content: null,
              refusal: null,
              tool_calls: toolCalls(plan),
              ...reasoning(plan),
            }
          : { role: "assistant", content: plan.text.join(""), refusal: null, ...reasoning(plan) },
        logprobs: null,
        finish_reason: finishReason(plan),
      },
    ],
    usage,
    system_fingerprint: meta.fingerprint,
  };
}

function chunkHeader(meta: ResponseMeta, object: string): string {
  return (
    `{"id":${JSON.stringify(meta.id)},"object":"${object}","created":${meta.created},` +
    `"model":${JSON.stringify(meta.model)},"system_fingerprint":${JSON.stringify(meta.fingerprint)}`
  );
}

/**
 * `chat.completion.chunk`s: a role chunk, one chunk per token (`reasoning_content` deltas for reasoning
 * returned apart, then `content` deltas), a chunk with the finish reason,
 * then (with `stream_options.include_usage`) a usage chunk with no choices, then `[DONE]`. As OpenAI does,
 * every chunk carries `"usage":null` when usage was asked for, except the last one.
 */
export function chatStream(meta: ResponseMeta, plan: ReplyPlan, usage: Usage | undefined): StreamFrames {
  const header = chunkHeader(meta, "chat.completion.chunk");
  const usageNull = usage ? `,"usage":null` : "";
  const choice = (delta: string, finish: string) =>
    `data: ${header},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]${usageNull}}\n\n`;
  const tokenPrefix = `data: ${header},"choices":[{"index":0,"delta":{"content":`;
  const reasoningPrefix = `data: ${header},"choices":[{"index":0,"delta":{"reasoning_content":`;
  const tokenSuffix = `},"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`;
  let tail = choice("{}", `"${finishReason(plan)}"`);
  if (usage) tail += `data: ${header},"choices":[],"usage":${JSON.stringify(usage)}}\n\n`;
  const call = plan.toolCall;
  const thinking = plan.thinking.map((token) => reasoningPrefix + JSON.stringify(token) + tokenSuffix);
  const tokens = call
    ? [
        ...thinking,
        choice(
          JSON.stringify({
            tool_calls: [
              { index: 0, id: call.id, type: "function", function: { name: call.name, arguments: "" } },
            ],
          }),
          "null",
        ),
        ...argumentFragments(call.arguments).map((fragment) =>
          choice(JSON.stringify({ tool_calls: [{ index: 0, function: { arguments: fragment } }] }), "null"),
        ),
      ]
    : [...thinking, ...plan.text.map((token) => tokenPrefix + JSON.stringify(token) + tokenSuffix)];
  return {
    head: choice(`{"role":"assistant","content":${call ? "null" : '""'}}`, "null"),
    tokens,
    tail: tail + SSE_DONE,
  };
}

export function textCompletion(meta: ResponseMeta, plan: ReplyPlan, usage: Usage) {
  return {
    id: meta.id,
    object: "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [{ text: plan.text.join(""), index: 0, logprobs: null, finish_reason: finishReason(plan) }],
    usage,
    system_fingerprint: meta.fingerprint,
  };
}

/**
 * `text_completion` chunks: one per token, one with the finish reason, an optional usage chunk, `[DONE]`.
 * Unlike chat chunks they carry no `"usage":null`: the spec gives streamed and JSON completions one shape,
 * whose `usage` is an object when present.
 */
export function completionStream(
  meta: ResponseMeta,
  plan: ReplyPlan,
  usage: Usage | undefined,
): StreamFrames {
  const header = chunkHeader(meta, "text_completion");
  const choice = (text: string, finish: string) =>
    `data: ${header},"choices":[{"text":${text},"index":0,"logprobs":null,"finish_reason":${finish}}]}\n\n`;
  const tokenPrefix = `data: ${header},"choices":[{"text":`;
  const tokenSuffix = `,"index":0,"logprobs":null,"finish_reason":null}]}\n\n`;
  let tail = choice('""', `"${finishReason(plan)}"`);
  if (usage) tail += `data: ${header},"choices":[],"usage":${JSON.stringify(usage)}}\n\n`;
  return {
    head: "",
    tokens: plan.text.map((token) => tokenPrefix + JSON.stringify(token) + tokenSuffix),
    tail: tail + SSE_DONE,
  };
}

export function embeddingList(
  model: string,
  vectors: readonly Float32Array[],
  encoding: "float" | "base64",
  promptTokens: number,
) {
  return {
    object: "list",
    data: vectors.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: encoding === "base64" ? vectorToBase64(vector) : vectorToFloats(vector),
    })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

export function modelList(models: Iterable<string>, created: number) {
  return {
    object: "list",
    data: [...models].map((id) => ({ id, object: "model", created, owned_by: "switchyard-mock" })),
  };
}
