/**
 * Which reasoning markup a model type emits, so callers name a model type (a backend's `modelType`,
 * serve's `--model-type`) and never a parser.
 *
 * Rules (names compared lower-cased, `_` read as `-`):
 * - `harmony`, or a name starting with `gpt-oss` → `harmony` (gpt-oss channels).
 * - a name starting with `deepseek-r1` → `think` with `implicitOpen` (its template opens `<think>` in
 *   the prompt, so outputs often show only `</think>`).
 * - a name starting with `qwen3` → `think`.
 * - anything else (`generic`, `gemma3`, `llama`, unknown) → `auto`: `<think>` tags until the first
 *   harmony token (any of `HARMONY_TAGS`), and harmony from that token on. This catches gpt-oss served
 *   under a generic type without holding any text back in a stream.
 * @module
 */

/** How a text is parsed: `<think>` tags, harmony channels, or think tags that switch to harmony. */
export type ReasoningFormat = "think" | "harmony" | "auto";

/** Caller overrides of what the model type implies. */
export interface SeparateOptions {
  /** Parse this way whatever the model type says. */
  readonly format?: ReasoningFormat;
  /** The output starts inside a think block; defaults to true for `deepseek-r1`, false otherwise. */
  readonly implicitOpen?: boolean;
}

/** The parsing a model type gets, after overrides. */
export interface ReasoningPlan {
  readonly format: ReasoningFormat;
  readonly implicitOpen: boolean;
}

/** Decides how to parse a model type's outputs. */
export function planReasoning(modelType: string, options: SeparateOptions = {}): ReasoningPlan {
  const name = modelType.trim().toLowerCase().replaceAll("_", "-");
  let format: ReasoningFormat = "auto";
  if (name === "harmony" || name.startsWith("gpt-oss")) format = "harmony";
  else if (name.startsWith("deepseek-r1") || name.startsWith("qwen3")) format = "think";
  return {
    format: options.format ?? format,
    implicitOpen: options.implicitOpen ?? name.startsWith("deepseek-r1"),
  };
}
