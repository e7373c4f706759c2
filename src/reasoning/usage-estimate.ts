/**
 * The reasoning extensions' `usage.thinking_tokens` and `usage.channel_tokens`. Backends report only
 * `completion_tokens`, so without a tokenizer the split is an estimate: the completion tokens are
 * shared out by each channel's share of characters. Markup (`<think>`, harmony headers) has no
 * characters in any channel, so its tokens are spread over the channels in the same proportion.
 * @module
 */
import type { HarmonyChannel } from "./harmony-channels.js";

/** A number per channel: characters, or tokens. */
export type ChannelCounts = Record<HarmonyChannel, number>;

/** All-zero counts, to add to. */
export function emptyCounts(): ChannelCounts {
  return { analysis: 0, commentary: 0, final: 0 };
}

/**
 * Shares `completionTokens` out by character counts. The parts are whole numbers that add up to
 * `completionTokens`; `final` takes the rounding remainder (and everything when there are no characters).
 * @example
 * shareTokens(10, { analysis: 30, commentary: 10, final: 10 }) // { analysis: 6, commentary: 2, final: 2 }
 */
export function shareTokens(completionTokens: number, chars: ChannelCounts): ChannelCounts {
  const total = Math.max(0, Math.round(completionTokens));
  const allChars = chars.analysis + chars.commentary + chars.final;
  if (allChars <= 0) return { analysis: 0, commentary: 0, final: total };
  const analysis = Math.round((total * chars.analysis) / allChars);
  const commentary = Math.min(total - analysis, Math.round((total * chars.commentary) / allChars));
  return { analysis, commentary, final: total - analysis - commentary };
}

/**
 * Shares `completionTokens` out when a backend reported how many were reasoning: `final` gets the rest,
 * and the reasoning tokens go to analysis and commentary by their characters (all to analysis when
 * there are none). The parts add up to `completionTokens`; a report above it is capped.
 * @example
 * shareReportedReasoning(10, 4, { analysis: 2, commentary: 0, final: 30 }) // { analysis: 4, commentary: 0, final: 6 }
 */
export function shareReportedReasoning(
  completionTokens: number,
  reasoningTokens: number,
  chars: ChannelCounts,
): ChannelCounts {
  const total = Math.max(0, Math.round(completionTokens));
  const reasoning = Math.min(total, Math.max(0, Math.round(reasoningTokens)));
  const thinkingChars = chars.analysis + chars.commentary;
  const commentary = thinkingChars > 0 ? Math.round((reasoning * chars.commentary) / thinkingChars) : 0;
  return { analysis: reasoning - commentary, commentary, final: total - reasoning };
}
