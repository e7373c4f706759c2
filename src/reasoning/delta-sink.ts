/**
 * Collects the deltas a streaming separator emits and applies the joining rule of `separate.ts`: a new
 * segment of a kind (content or reasoning) that has already emitted text is preceded by `"\n"`. The
 * separator is emitted lazily, with the segment's first text, so empty segments add nothing, exactly
 * like the whole-text parsers that drop empty segments before joining.
 * @module
 */
import type { HarmonyChannel } from "./harmony-channels.js";

/** The two things a client sees: the answer and the reasoning. */
export type DeltaKind = "content" | "reasoning";

/**
 * One piece of output. `channel` says where the text belongs (`separate()`'s `channels`; think blocks
 * are `analysis`). The `"\n"` between two segments comes as its own delta without a channel, so
 * per-channel concatenation gives the segments back without separators.
 */
export interface ReasoningDelta {
  readonly kind: DeltaKind;
  readonly text: string;
  readonly channel?: HarmonyChannel;
}

/** Mutable collector owned by one stream. */
export class DeltaSink {
  #deltas: ReasoningDelta[] = [];
  readonly #emitted: Record<DeltaKind, boolean> = { content: false, reasoning: false };
  readonly #segmentStart: Record<DeltaKind, boolean> = { content: false, reasoning: false };

  /** The next text of `kind` starts a new segment. */
  startSegment(kind: DeltaKind): void {
    this.#segmentStart[kind] = true;
  }

  /** Emits text (nothing when empty), preceded by the segment separator when one is due. */
  text(kind: DeltaKind, text: string, channel: HarmonyChannel): void {
    if (text === "") return;
    if (this.#segmentStart[kind]) {
      this.#segmentStart[kind] = false;
      if (this.#emitted[kind]) this.#push({ kind, text: "\n" });
    }
    this.#push({ kind, text, channel });
    this.#emitted[kind] = true;
  }

  /** The deltas collected since the last drain, adjacent ones of the same kind and channel merged. */
  drain(): ReasoningDelta[] {
    const deltas = this.#deltas;
    this.#deltas = [];
    return deltas;
  }

  #push(delta: ReasoningDelta): void {
    const last = this.#deltas.at(-1);
    if (last !== undefined && last.kind === delta.kind && last.channel === delta.channel) {
      this.#deltas[this.#deltas.length - 1] = { ...last, text: last.text + delta.text };
    } else {
      this.#deltas.push(delta);
    }
  }
}
