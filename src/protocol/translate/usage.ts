/**
 * Token usage in each protocol. OpenAI's `prompt_tokens` includes cached tokens; Anthropic's
 * `input_tokens` excludes them (total input = input + cache creation + cache read). Cache writes
 * have no OpenAI field and are counted as plain input on the way to OpenAI.
 * @module
 */
import type { AnthropicUsage } from "../anthropic/types.js";
import type { OpenAIUsage } from "./openai-types.js";

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}

/** Anthropic usage for an OpenAI usage object (zeros when it is missing). */
export function anthropicUsage(usage: OpenAIUsage | null | undefined): AnthropicUsage {
  const cached = count(usage?.prompt_tokens_details?.cached_tokens);
  const out: AnthropicUsage = {
    input_tokens: Math.max(0, count(usage?.prompt_tokens) - cached),
    output_tokens: count(usage?.completion_tokens),
  };
  if (cached > 0) out.cache_read_input_tokens = cached;
  return out;
}

/** OpenAI usage for (possibly partial) Anthropic usage. */
export function openAIUsage(usage: Partial<AnthropicUsage> | null | undefined): OpenAIUsage {
  const cached = count(usage?.cache_read_input_tokens);
  const prompt = count(usage?.input_tokens) + count(usage?.cache_creation_input_tokens) + cached;
  const completion = count(usage?.output_tokens);
  const out: OpenAIUsage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
  if (cached > 0) out.prompt_tokens_details = { cached_tokens: cached };
  return out;
}
