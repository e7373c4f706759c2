/**
 * OpenAI's sampling fields, checked and turned into node-llama-cpp's generation options. Pure.
 *
 * Defaults follow OpenAI, not node-llama-cpp: temperature 1, top_p 1, no top_k, no repetition penalty
 * (node-llama-cpp would otherwise apply its own 1.1 repeat penalty and top_k 40), so a request means the
 * same here as at any OpenAI-compatible server. `top_k`, `min_p` and `repetition_penalty` are the
 * extensions vLLM and llama.cpp's server accept.
 * @module
 */
import { z } from "zod";

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

/** The sampling fields of chat and completion requests; other fields pass untouched. */
export const samplingSchema = z.looseObject({
  temperature: nullable(z.number().min(0).max(2)),
  top_p: nullable(z.number().min(0).max(1)),
  top_k: nullable(z.number().int().min(0)),
  min_p: nullable(z.number().min(0).max(1)),
  max_tokens: nullable(z.number().int().min(1)),
  max_completion_tokens: nullable(z.number().int().min(1)),
  stop: nullable(z.union([z.string(), z.array(z.string()).max(4)])),
  seed: nullable(z.number().int()),
  presence_penalty: nullable(z.number().min(-2).max(2)),
  frequency_penalty: nullable(z.number().min(-2).max(2)),
  repetition_penalty: nullable(z.number().positive()),
  n: nullable(z.literal(1, { error: "serve generates one choice per request (n must be 1)" })),
});

/** The sampling request fields after checking. */
export type SamplingFields = z.output<typeof samplingSchema>;

/** Penalties in node-llama-cpp's shape (`LLamaContextualRepeatPenalty`). */
export interface RepeatPenalty {
  readonly penalty: number;
  readonly presencePenalty: number;
  readonly frequencyPenalty: number;
  readonly lastTokens: number;
}

/** What generation needs, in node-llama-cpp's names. */
export interface Sampling {
  readonly temperature: number;
  readonly topP: number;
  readonly topK: number;
  readonly minP: number;
  readonly seed: number | undefined;
  /** Undefined: until the end of text or the context limit (see {@link samplingOptions}). */
  readonly maxTokens: number | undefined;
  readonly stop: readonly string[];
  readonly repeatPenalty: RepeatPenalty | false;
}

/** How many recent tokens the penalties look at (llama.cpp's default window). */
const PENALTY_WINDOW = 64;

/** Maps checked OpenAI fields to generation options. `max_completion_tokens` wins over `max_tokens`. */
export function samplingOptions(fields: SamplingFields): Sampling {
  const presence = fields.presence_penalty ?? 0;
  const frequency = fields.frequency_penalty ?? 0;
  const repetition = fields.repetition_penalty ?? 1;
  const penalised = presence !== 0 || frequency !== 0 || repetition !== 1;
  const stop = fields.stop ?? [];
  return {
    temperature: fields.temperature ?? 1,
    topP: fields.top_p ?? 1,
    topK: fields.top_k ?? 0,
    minP: fields.min_p ?? 0,
    seed: fields.seed ?? undefined,
    maxTokens: fields.max_completion_tokens ?? fields.max_tokens ?? undefined,
    stop: (typeof stop === "string" ? [stop] : stop).filter((text) => text !== ""),
    repeatPenalty: penalised
      ? {
          penalty: repetition,
          presencePenalty: presence,
          frequencyPenalty: frequency,
          lastTokens: PENALTY_WINDOW,
        }
      : false,
  };
}
