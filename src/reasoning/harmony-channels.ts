/**
 * Whole-text parser for gpt-oss "harmony" output, and the state machine it shares with the streaming
 * twin in `separate-stream.ts`.
 *
 * A harmony output is a run of messages such as
 * `<|start|>assistant<|channel|>analysis<|message|>…<|end|>` … `<|channel|>final<|message|>…<|return|>`.
 * Rules:
 * - A message's header (between `<|start|>` and `<|message|>`) is never text. Its channel is the first
 *   word after `<|channel|>`, so suffixes such as `commentary to=functions.x <|constrain|>json` are
 *   dropped. Unknown channel names and a header without `<|channel|>` count as `final`: text we cannot
 *   place is shown rather than hidden.
 * - Tolerated: no `<|start|>assistant` (outputs usually begin at `<|channel|>`), no `<|end|>` before the
 *   next header, no `<|return|>` at the end, stray `<|message|>`/`<|constrain|>` in a body (dropped).
 * - Text outside any message (before the first header, after `<|end|>`) is `final`, so text without
 *   any marker is all `final`.
 * - Every body is one segment. Non-empty segments of one channel are joined with `"\n"`.
 * @module
 */
import { findTag, tagSet } from "./tag-scanner.js";

/** The harmony channels a client can see. */
export const HARMONY_CHANNELS = ["analysis", "commentary", "final"] as const;
export type HarmonyChannel = (typeof HARMONY_CHANNELS)[number];

/** Text per channel, segments of one channel joined with `"\n"`. */
export type ChannelTexts = Record<HarmonyChannel, string>;

/** One message body, in output order. */
export interface HarmonySegment {
  readonly channel: HarmonyChannel;
  readonly text: string;
}

/** The special tokens harmony outputs may carry; none is a prefix of another. */
export const HARMONY_TAGS = tagSet([
  "<|start|>",
  "<|channel|>",
  "<|message|>",
  "<|constrain|>",
  "<|end|>",
  "<|return|>",
  "<|call|>",
]);

/** True when `tag` is one of {@link HARMONY_TAGS}. */
export function isHarmonyTag(tag: string): boolean {
  return HARMONY_TAGS.tags.includes(tag);
}

/**
 * Where the parser is: in a body (text goes to `channel`), in a header (text dropped; `channel` is set
 * once `<|channel|>` named it), or reading a channel name.
 */
export type HarmonyState =
  | { readonly kind: "body"; readonly channel: HarmonyChannel }
  | { readonly kind: "header"; readonly channel: HarmonyChannel | undefined }
  | { readonly kind: "name"; readonly name: string };

/** The state an output starts in: outside any message, which reads as `final`. */
export const HARMONY_START: HarmonyState = { kind: "body", channel: "final" };

/** A channel name longer than this cannot be one we know; keeping only this much bounds a stream's memory. */
const NAME_LIMIT = 64;

/** The state after text arrives: only a channel name collects it (bounded); bodies emit it elsewhere. */
export function harmonyText(state: HarmonyState, text: string): HarmonyState {
  if (state.kind !== "name" || state.name.length >= NAME_LIMIT) return state;
  return { kind: "name", name: (state.name + text).slice(0, NAME_LIMIT) };
}

/** The channel a header's name text denotes: its first word, when known; otherwise `final`. */
export function channelFromName(name: string): HarmonyChannel {
  const word = name.trimStart().split(/\s/, 1)[0]?.toLowerCase() ?? "";
  return word === "analysis" || word === "commentary" ? word : "final";
}

/**
 * The state after a token. It returns the same object when the token changes nothing (a stray
 * `<|message|>` in a body), so `next !== state` with `next.kind === "body"` means a new segment starts.
 */
export function harmonyStep(state: HarmonyState, tag: string): HarmonyState {
  switch (tag) {
    case "<|start|>":
      return { kind: "header", channel: undefined };
    case "<|channel|>":
      return { kind: "name", name: "" };
    case "<|end|>":
    case "<|return|>":
    case "<|call|>":
      return { kind: "body", channel: "final" };
    case "<|message|>":
      if (state.kind === "body") return state;
      return { kind: "body", channel: channelOfHeader(state) };
    case "<|constrain|>":
      return state.kind === "name" ? { kind: "header", channel: channelFromName(state.name) } : state;
    default:
      return state;
  }
}

function channelOfHeader(state: Exclude<HarmonyState, { kind: "body" }>): HarmonyChannel {
  if (state.kind === "name") return channelFromName(state.name);
  return state.channel ?? "final";
}

/** What {@link parseHarmony} finds. */
export interface HarmonyParse {
  readonly channels: ChannelTexts;
  /** Non-empty bodies in output order (what a stream emits, in that order). */
  readonly segments: readonly HarmonySegment[];
}

/**
 * Splits a harmony output into channels.
 * @example
 * parseHarmony("<|channel|>analysis<|message|>2+2<|end|><|start|>assistant<|channel|>final<|message|>4")
 *   .channels // { analysis: "2+2", commentary: "", final: "4" }
 */
export function parseHarmony(text: string): HarmonyParse {
  const segments: HarmonySegment[] = [];
  let state = HARMONY_START;
  let body = "";
  const closeBody = (): void => {
    if (state.kind === "body" && body !== "") segments.push({ channel: state.channel, text: body });
    body = "";
  };
  let position = 0;
  for (;;) {
    const match = findTag(text, HARMONY_TAGS, position);
    const piece = text.slice(position, match?.index ?? text.length);
    if (state.kind === "body") body += piece;
    else state = harmonyText(state, piece);
    if (match === undefined) break;
    position = match.index + match.tag.length;
    const next = harmonyStep(state, match.tag);
    if (next !== state) closeBody();
    state = next;
  }
  closeBody();
  return { channels: joinChannels(segments), segments };
}

/** Joins the segments of each channel with `"\n"`. */
export function joinChannels(segments: readonly HarmonySegment[]): ChannelTexts {
  const pick = (channel: HarmonyChannel): string =>
    segments
      .filter((segment) => segment.channel === channel && segment.text !== "")
      .map((segment) => segment.text)
      .join("\n");
  return { analysis: pick("analysis"), commentary: pick("commentary"), final: pick("final") };
}
