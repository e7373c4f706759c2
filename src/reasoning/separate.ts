/**
 * `separate(text, modelType)`: a model's whole output split into the answer and its reasoning, the
 * shape the gateway and `serve` put into responses (the reasoning extensions' `thinking`/`channels`, OpenAI-compatible
 * `reasoning_content`). The parser is chosen by `reasoning-format.ts`; `separate-stream.ts` is the
 * streaming twin and yields the same `content` and `reasoningContent` for any chunking.
 *
 * Joining: reasoning segments (think blocks, analysis and commentary bodies) are joined with `"\n"` in
 * output order to make `reasoningContent`; with the usual order (analysis, then commentary) that is
 * analysis + "\n" + commentary. Harmony `final` segments join with `"\n"` as well; in `auto` format the
 * answer text found before the first harmony token counts as one such segment.
 * @module
 */
import {
  type ChannelTexts,
  HARMONY_TAGS,
  type HarmonySegment,
  joinChannels,
  parseHarmony,
} from "./harmony-channels.js";
import { planReasoning, type ReasoningFormat, type SeparateOptions } from "./reasoning-format.js";
import { findTag } from "./tag-scanner.js";
import { parseThinkTags } from "./think-tags.js";

/** The reasoning extensions' `message.thinking`. */
export interface Thinking {
  readonly analysis: string;
  readonly commentary: string;
  /** `"[Analysis]\n" + analysis` followed by `"[Commentary]\n" + commentary`, each only when non-empty. */
  readonly raw: string;
}

/** The result of {@link separate}. */
export interface Separation {
  /** Which markup was found: `harmony` when harmony tokens were parsed, else `think`. */
  readonly format: Exclude<ReasoningFormat, "auto">;
  /** The answer only. */
  readonly content: string;
  /** Present when there is any reasoning. Think blocks count as `analysis`. */
  readonly thinking?: Thinking;
  /** `message.channels`; for think tags: analysis = thinking, final = content. */
  readonly channels: ChannelTexts;
  /** OpenAI-compatible `message.reasoning_content`; present when there is any reasoning. */
  readonly reasoningContent?: string;
}

export type { SeparateOptions } from "./reasoning-format.js";

/** The `thinking.raw` text. */
export function formatRawThinking(analysis: string, commentary: string): string {
  const analysisPart = analysis === "" ? "" : `[Analysis]\n${analysis}`;
  const commentaryPart = commentary === "" ? "" : `[Commentary]\n${commentary}`;
  return analysisPart + commentaryPart;
}

/**
 * Splits a model's whole output into answer and reasoning, by model type.
 * @example
 * separate("<think>hm</think>Paris", "qwen3").content // "Paris"
 * separate("<|channel|>analysis<|message|>hm<|end|><|start|>assistant<|channel|>final<|message|>Paris",
 *   "gpt-oss").thinking // { analysis: "hm", commentary: "", raw: "[Analysis]\nhm" }
 */
export function separate(text: string, modelType: string, options: SeparateOptions = {}): Separation {
  const plan = planReasoning(modelType, options);
  if (plan.format === "harmony") return fromSegments([], parseHarmony(text).segments);
  const harmonyAt = plan.format === "auto" ? findTag(text, HARMONY_TAGS, 0)?.index : undefined;
  const think = parseThinkTags(harmonyAt === undefined ? text : text.slice(0, harmonyAt), plan);
  const thinkSegments: HarmonySegment[] = [
    ...think.segments.map((segment) => ({ channel: "analysis" as const, text: segment })),
    { channel: "final", text: think.content },
  ];
  if (harmonyAt === undefined) return { ...fromSegments(thinkSegments, []), format: "think" };
  return fromSegments(thinkSegments, parseHarmony(text.slice(harmonyAt)).segments);
}

function fromSegments(prefix: readonly HarmonySegment[], harmony: readonly HarmonySegment[]): Separation {
  const segments = [...prefix, ...harmony].filter((segment) => segment.text !== "");
  const channels = joinChannels(segments);
  const reasoning = segments
    .filter((segment) => segment.channel !== "final")
    .map((segment) => segment.text)
    .join("\n");
  const base = { format: "harmony" as const, content: channels.final, channels };
  if (reasoning === "") return base;
  const raw = formatRawThinking(channels.analysis, channels.commentary);
  return {
    ...base,
    thinking: { analysis: channels.analysis, commentary: channels.commentary, raw },
    reasoningContent: reasoning,
  };
}
