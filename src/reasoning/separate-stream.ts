/**
 * The streaming twin of `separate()`: one {@link StreamSeparator} per response turns text deltas into
 * answer and reasoning deltas as they arrive.
 *
 * Latency: a delta is emitted at once except for the tail that could still be the start of a tag (the
 * least that is safe, never more than a tag's length minus one, e.g. `</thi`) and, inside a think block,
 * a run of trailing newlines (dropped if `</think>` follows). `end()` flushes what is held.
 *
 * Invariant (property-tested): for any split of a text into deltas, the concatenated `content` deltas
 * equal `separate(text).content` and the concatenated `reasoning` deltas equal
 * `separate(text).reasoningContent ?? ""`, for the same model type and options.
 * @module
 */
import { DeltaSink, type ReasoningDelta } from "./delta-sink.js";
import {
  HARMONY_START,
  HARMONY_TAGS,
  type HarmonyState,
  harmonyStep,
  harmonyText,
  isHarmonyTag,
} from "./harmony-channels.js";
import { planReasoning, type SeparateOptions } from "./reasoning-format.js";
import { findTag, partialTagLength, type TagSet, tagSet } from "./tag-scanner.js";
import { isNewline, THINK_OPEN, THINK_TAGS, trimLeadingNewlines } from "./think-tags.js";

export type { DeltaKind, ReasoningDelta } from "./delta-sink.js";

const AUTO_TAGS = tagSet([...THINK_TAGS.tags, ...HARMONY_TAGS.tags]);

/** `<think>` rules of `think-tags.ts`, applied a piece at a time; thinking is `analysis`, as in `separate()`. */
class ThinkMachine {
  readonly #sink: DeltaSink;
  #thinking: boolean;
  /** Answer text right after `</think>`: leading newlines are dropped. */
  #afterClose = false;
  /** Start of a thinking segment: leading newlines are dropped. */
  #segmentStart = true;
  /** Newlines at the end of the thinking seen so far; emitted only if more thinking follows. */
  #pendingNewlines = "";

  constructor(sink: DeltaSink, implicitOpen: boolean) {
    this.#sink = sink;
    this.#thinking = implicitOpen;
    if (implicitOpen) sink.startSegment("reasoning");
  }

  text(text: string): void {
    if (this.#thinking) this.#thinkingText(text);
    else this.#contentText(text);
  }

  tag(tag: string): void {
    if (tag === THINK_OPEN) {
      if (this.#thinking) return;
      this.#thinking = true;
      this.#segmentStart = true;
      this.#sink.startSegment("reasoning");
    } else {
      this.#thinking = false;
      this.#pendingNewlines = "";
      this.#afterClose = true;
    }
  }

  /** The text ended (or turned into harmony): trailing newlines of thinking are dropped. */
  finish(): void {
    this.#pendingNewlines = "";
  }

  #contentText(text: string): void {
    const kept = this.#afterClose ? trimLeadingNewlines(text) : text;
    if (kept === "") return;
    this.#afterClose = false;
    this.#sink.text("content", kept, "final");
  }

  #thinkingText(text: string): void {
    let kept = text;
    if (this.#segmentStart) {
      kept = trimLeadingNewlines(kept);
      if (kept === "") return;
      this.#segmentStart = false;
    }
    let end = kept.length;
    while (end > 0 && isNewline(kept[end - 1]!)) end--;
    if (end === 0) {
      this.#pendingNewlines += kept;
      return;
    }
    this.#sink.text("reasoning", this.#pendingNewlines + kept.slice(0, end), "analysis");
    this.#pendingNewlines = kept.slice(end);
  }
}

/** Harmony rules of `harmony-channels.ts`, applied a piece at a time. */
class HarmonyMachine {
  readonly #sink: DeltaSink;
  #state: HarmonyState = HARMONY_START;

  constructor(sink: DeltaSink) {
    this.#sink = sink;
    // Text outside messages is a final segment of its own (matters after an auto switch).
    sink.startSegment("content");
  }

  text(text: string): void {
    const state = this.#state;
    if (state.kind === "body") {
      this.#sink.text(state.channel === "final" ? "content" : "reasoning", text, state.channel);
    } else {
      this.#state = harmonyText(state, text);
    }
  }

  tag(tag: string): void {
    const next = harmonyStep(this.#state, tag);
    if (next !== this.#state && next.kind === "body") {
      this.#sink.startSegment(next.channel === "final" ? "content" : "reasoning");
    }
    this.#state = next;
  }
}

/**
 * Separates one streamed response. Create one per response (per choice); not reusable after `end()`.
 * @example
 * const stream = new StreamSeparator("qwen3");
 * stream.push("<think>hm</th"); // [{ kind: "reasoning", text: "hm", channel: "analysis" }]
 * stream.push("ink>Paris");     // [{ kind: "content", text: "Paris", channel: "final" }]
 * stream.end();                 // []
 */
export class StreamSeparator {
  readonly #sink = new DeltaSink();
  #think: ThinkMachine | undefined;
  #harmony: HarmonyMachine | undefined;
  readonly #detectHarmony: boolean;
  /** Text not yet emitted: only ever a possible tag start. */
  #held = "";
  #ended = false;

  constructor(modelType: string, options: SeparateOptions = {}) {
    const plan = planReasoning(modelType, options);
    if (plan.format === "harmony") this.#harmony = new HarmonyMachine(this.#sink);
    else this.#think = new ThinkMachine(this.#sink, plan.implicitOpen);
    this.#detectHarmony = plan.format === "auto";
  }

  /** Which markup is being parsed now (`auto` streams turn to `harmony` at the first harmony token). */
  get format(): "think" | "harmony" {
    return this.#harmony === undefined ? "think" : "harmony";
  }

  /** Takes the next delta of model text; returns what can be emitted now (possibly nothing). */
  push(delta: string): ReasoningDelta[] {
    if (this.#ended) throw new Error("StreamSeparator.push after end()");
    this.#scan(this.#held + delta, false);
    return this.#sink.drain();
  }

  /** The stream is over: returns the held-back text, parsed as plain text. */
  end(): ReasoningDelta[] {
    if (this.#ended) return [];
    this.#ended = true;
    this.#scan(this.#held, true);
    this.#think?.finish();
    return this.#sink.drain();
  }

  #tags(): TagSet {
    if (this.#harmony !== undefined) return HARMONY_TAGS;
    return this.#detectHarmony ? AUTO_TAGS : THINK_TAGS;
  }

  #scan(buffer: string, final: boolean): void {
    let position = 0;
    for (;;) {
      const match = findTag(buffer, this.#tags(), position);
      if (match === undefined) break;
      this.#text(buffer.slice(position, match.index));
      this.#tag(match.tag);
      position = match.index + match.tag.length;
    }
    const held = final ? 0 : partialTagLength(buffer, position, this.#tags());
    this.#text(buffer.slice(position, buffer.length - held));
    this.#held = buffer.slice(buffer.length - held);
  }

  #text(text: string): void {
    if (text === "") return;
    if (this.#harmony !== undefined) this.#harmony.text(text);
    else this.#think?.text(text);
  }

  #tag(tag: string): void {
    if (this.#harmony === undefined && isHarmonyTag(tag)) {
      this.#think?.finish();
      this.#think = undefined;
      this.#harmony = new HarmonyMachine(this.#sink);
    }
    if (this.#harmony !== undefined) this.#harmony.tag(tag);
    else this.#think?.tag(tag);
  }
}
