/**
 * What the mock says, decided by pure functions: the reply text, its tokens, the reasoning that may come
 * before it, token counts and embedding vectors. Same input, same output, on every run and every machine.
 *
 * Tokens are words with the whitespace that follows them (`"[backend=a "`, `"version=0] "`, `"hello"`), so
 * joining the tokens gives back the text exactly; reasoning markup (`<think>`, harmony's `<|channel|>`…)
 * is one token per tag, as a real tokenizer's special tokens are.
 * @module
 */
import { seededRandom } from "../random/seeded-random.js";
import type { ReasoningMode } from "./options.js";
import { sampleArguments } from "./schema-sample.js";
import type { ToolDecision } from "./tool-choice.js";

const TOKEN_PATTERN = /\S+\s*|\s+/g;

/** Splits text into tokens whose concatenation is the text. */
export function tokenize(text: string): string[] {
  return text.match(TOKEN_PATTERN) ?? [];
}

function isSpace(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  // The same set as the regex's \s: ASCII fast path, Unicode spaces through the regex itself.
  return code === 32 || (code >= 9 && code <= 13) || (code > 127 && /\s/.test(text[index]!));
}

/** How many tokens `tokenize(text)` yields, without building the array. */
export function countTokens(text: string): number {
  let count = text.length > 0 && isSpace(text, 0) ? 1 : 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    if (isSpace(text, i)) {
      inWord = false;
    } else if (!inWord) {
      count++;
      inWord = true;
    }
  }
  return count;
}

/** Prompt tokens: the same tokenizer over every text of the request, never less than 1. */
export function countPromptTokens(texts: readonly string[]): number {
  let total = 0;
  for (const text of texts) total += countTokens(text);
  return Math.max(1, total);
}

/** The context length the mock reports (`/tokenize`'s `max_model_len`); it enforces none. */
export const MOCK_MAX_MODEL_LEN = 32_768;
const VOCABULARY = 32_000;
/** The id a prompt with no tokens counts as (see countPromptTokens): a beginning-of-sequence token. */
const BOS_ID = 1;

/** Ids of `text`'s tokens: each token's text hashed into the vocabulary (0 and 1 are never words). */
export function tokenIds(text: string): number[] {
  return tokenize(text).map((token) => 2 + (hash32(token, 0x1b873593) % (VOCABULARY - 2)));
}

/** Ids of a prompt's tokens: as many as countPromptTokens counts, so `/tokenize` agrees with usage. */
export function promptTokenIds(texts: readonly string[]): number[] {
  const ids = texts.flatMap(tokenIds);
  return ids.length > 0 ? ids : [BOS_ID];
}

/** The answer every mock gives: who answered, which version, and what the user said. */
export function answerText(id: string, version: string, userText: string): string {
  return `[backend=${id} version=${version}] ${userText}`;
}

/** A short deterministic thought about the user's text, used as reasoning. */
export function thoughtText(userText: string): string {
  const words = countTokens(userText);
  return `The user wrote ${words} ${words === 1 ? "word" : "words"}. I will echo them back.`;
}

/** The tokens a reply is made of, split into reasoning and visible text. */
export interface ReplyPlan {
  /** Reasoning tokens returned apart from the text (`reasoning_content`, thinking blocks); else empty. */
  readonly thinking: readonly string[];
  /** Visible text tokens; with inline reasoning they include the markup. */
  readonly text: readonly string[];
  /** True when `maxTokens` cut the reply short (`length` / `max_tokens`). */
  readonly truncated: boolean;
  /** Set when the reply is a call of one of the request's tools instead of text. */
  readonly toolCall?: ToolCallPlan;
}

/** A tool call the mock makes (which tool: see tool-choice.ts). */
export interface ToolCallPlan {
  readonly id: string;
  readonly name: string;
  /** JSON text of the arguments: an object that satisfies the tool's schema (see schema-sample.ts). */
  readonly arguments: string;
}

/**
 * The call for a decided tool: arguments generated from its schema, the first free string taking the
 * user's text, seeded from the tool and the text (the same request gives the same call), with the
 * arguments the user spelled out laid over them.
 */
export function toolCallFor(decision: ToolDecision): ToolCallPlan {
  const seed = hash32(`${decision.name}\n${decision.text}`, 0x27d4eb2d);
  const sampled = sampleArguments(decision.schema, { text: decision.text, seed });
  const args = JSON.stringify(decision.given ? { ...sampled, ...decision.given } : sampled);
  return {
    id: `call_${hash32(`${decision.name}:${args}`, 0x5bd1e995).toString(16).padStart(8, "0")}`,
    name: decision.name,
    arguments: args,
  };
}

/** The argument text in the fragments a stream delivers it in (two, split mid-way). */
export function argumentFragments(args: string): string[] {
  const middle = Math.ceil(args.length / 2);
  return [args.slice(0, middle), args.slice(middle)].filter((part) => part.length > 0);
}

export interface ReplyInput {
  readonly answer: string;
  readonly userText: string;
  readonly reasoning: ReasoningMode;
  /** Return the reasoning as separate `thinking` tokens instead of inline markup (always so in `split`). */
  readonly separateThinking?: boolean;
  /** Most tokens to emit (reasoning included); undefined = no limit. */
  readonly maxTokens?: number | undefined;
}

function inlineReasoning(mode: "think" | "harmony", thought: string, answer: string): string[] {
  if (mode === "think") return ["<think>", ...tokenize(thought), "</think>", ...tokenize(answer)];
  return [
    "<|channel|>",
    "analysis",
    "<|message|>",
    ...tokenize(thought),
    "<|end|>",
    "<|start|>",
    "assistant",
    "<|channel|>",
    "final",
    "<|message|>",
    ...tokenize(answer),
  ];
}

/** Decides the reply's tokens: reasoning (inline or apart), the answer, and truncation at `maxTokens`. */
export function planReply(input: ReplyInput): ReplyPlan {
  let thinking: string[] = [];
  let text: string[];
  if (input.reasoning === "none") {
    text = tokenize(input.answer);
  } else if (input.separateThinking || input.reasoning === "split") {
    thinking = tokenize(thoughtText(input.userText));
    text = tokenize(input.answer);
  } else {
    text = inlineReasoning(input.reasoning, thoughtText(input.userText), input.answer);
  }
  const limit = input.maxTokens;
  if (limit === undefined || thinking.length + text.length <= limit) {
    return { thinking, text, truncated: false };
  }
  if (limit <= thinking.length) return { thinking: thinking.slice(0, limit), text: [], truncated: true };
  return { thinking, text: text.slice(0, limit - thinking.length), truncated: true };
}

/** Tokens a plan emits in total (the completion/output token count). */
export function plannedTokens(plan: ReplyPlan): number {
  return plan.thinking.length + plan.text.length + (plan.toolCall ? countTokens(plan.toolCall.arguments) : 0);
}

/** A deterministic opaque signature for a thinking block (what Anthropic's `signature` field carries). */
export function thinkingSignature(thinking: string): string {
  return `mock-sig-${hash32(thinking, 0x9e3779b9).toString(16).padStart(8, "0")}`;
}

/** 32-bit FNV-1a over UTF-16 code units, mixed with a seed. */
export function hash32(text: string, seed = 0): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A unit-length vector derived from the input's content: the same input always gives the same vector,
 * different inputs give different ones. Two independent hashes seed the generator, so a collision needs
 * both 32-bit hashes to collide.
 */
export function embedVector(content: string, dimensions: number): Float32Array {
  const next = seededRandom(hash32(content) ^ Math.imul(hash32(content, 0x5bd1e995), 0x27d4eb2d));
  const values = new Float64Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const value = next() * 2 - 1;
    values[i] = value;
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 1;
  const vector = new Float32Array(dimensions);
  for (let i = 0; i < dimensions; i++) vector[i] = values[i]! * scale;
  return vector;
}

/** The vector as OpenAI's base64 encoding: float32, little-endian, whatever the host's byte order. */
export function vectorToBase64(vector: Float32Array): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes.toString("base64");
}

/** The vector as a JSON array of plain numbers. */
export function vectorToFloats(vector: Float32Array): number[] {
  return Array.from(vector);
}
