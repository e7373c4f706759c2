/**
 * Whole-text parser for `<think>…</think>` reasoning (Qwen3, DeepSeek-R1 and its distills, most open
 * reasoning models).
 *
 * Rules, shared with the streaming twin in `separate-stream.ts` (a property test holds them equal):
 * - Text outside think blocks is answer text, also text before the first `<think>`.
 * - Each think block is one thinking segment; an unclosed block runs to the end of the text.
 * - A `<think>` inside a think block is dropped and the block goes on; a `</think>` outside one is
 *   dropped too (models whose template opens the block in the prompt emit only the close).
 * - `implicitOpen`: the text starts inside a think block, as with DeepSeek-R1 templates that put
 *   `<think>` in the prompt. Without any `</think>`, the whole text is thinking (vLLM's R1 rule).
 * - Trimming, newlines only (`\n`, `\r`; spaces are kept): each thinking segment loses its leading and
 *   trailing newlines; answer text right after a `</think>` loses its leading newlines. Nothing else is
 *   trimmed, so text before a `<think>` keeps its newlines.
 * - Non-empty thinking segments are joined with `"\n"`; answer pieces are concatenated as they are.
 * @module
 */
import { findTag, tagSet } from "./tag-scanner.js";

export const THINK_OPEN = "<think>";
export const THINK_CLOSE = "</think>";
export const THINK_TAGS = tagSet([THINK_OPEN, THINK_CLOSE]);

/** Options of the think-tag parser. */
export interface ThinkTagOptions {
  /** The text starts inside a think block (the prompt opened it). Default false. */
  readonly implicitOpen?: boolean;
}

/** What {@link parseThinkTags} finds. */
export interface ThinkTagParse {
  /** The answer: text outside think blocks, trimmed as the module rules say. */
  readonly content: string;
  /** The thinking segments, each trimmed of newlines at both ends, empty ones left out. */
  readonly segments: readonly string[];
  /** `segments` joined with `"\n"`; empty when the text has no thinking. */
  readonly thinking: string;
}

const EDGE_NEWLINES = /^[\r\n]+|[\r\n]+$/g;
const LEADING_NEWLINES = /^[\r\n]+/;

/** The text without its leading `\n`/`\r` characters. */
export function trimLeadingNewlines(text: string): string {
  return text.replace(LEADING_NEWLINES, "");
}

/** True for the characters the trimming rules remove. */
export function isNewline(char: string): boolean {
  return char === "\n" || char === "\r";
}

/**
 * Splits a model's text into answer and thinking by `<think>` tags.
 * @example
 * parseThinkTags("<think>\nsum it\n</think>\n\n4").content // "4", thinking "sum it"
 * parseThinkTags("sum it</think>4", { implicitOpen: true }).thinking // "sum it"
 */
export function parseThinkTags(text: string, options: ThinkTagOptions = {}): ThinkTagParse {
  const raw: string[] = [];
  let content = "";
  let thinking: string | undefined = options.implicitOpen === true ? "" : undefined;
  let afterClose = false;
  let position = 0;
  for (;;) {
    const match = findTag(text, THINK_TAGS, position);
    const piece = text.slice(position, match?.index ?? text.length);
    if (thinking !== undefined) {
      thinking += piece;
    } else {
      const kept = afterClose ? trimLeadingNewlines(piece) : piece;
      if (kept !== "") afterClose = false;
      content += kept;
    }
    if (match === undefined) break;
    position = match.index + match.tag.length;
    if (match.tag === THINK_OPEN) {
      thinking ??= "";
    } else {
      if (thinking !== undefined) raw.push(thinking);
      thinking = undefined;
      afterClose = true;
    }
  }
  if (thinking !== undefined) raw.push(thinking);
  const segments = raw
    .map((segment) => segment.replace(EDGE_NEWLINES, ""))
    .filter((segment) => segment !== "");
  return { content, segments, thinking: segments.join("\n") };
}
