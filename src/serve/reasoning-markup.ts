/**
 * Turns node-llama-cpp's segmented output back into the markup the model type speaks, so one module —
 * `src/reasoning/` — decides every reasoning field of a response, for serve and the gateway alike.
 *
 * node-llama-cpp's chat wrappers strip reasoning markup and hand thoughts over as segments; the
 * reasoning module reads text. Writing the segments as `<think>…</think>` (think and auto formats) or as
 * harmony messages (`<|channel|>analysis<|message|>…<|end|>`, gpt-oss) gives it exactly the text the
 * model produced in the first place, and `<think>` tags a generic wrapper left in the answer text are
 * read the same way. Comment segments are harmony commentary; think-format models have none, so there
 * they count as thinking.
 * @module
 */
import { planReasoning } from "../reasoning/reasoning-format.js";
import type { GeneratedPiece, PieceChannel } from "./engine.js";

type Open = "none" | PieceChannel;

const HARMONY_OPEN: Readonly<Record<PieceChannel, string>> = {
  thought: "<|channel|>analysis<|message|>",
  comment: "<|channel|>commentary<|message|>",
  final: "<|start|>assistant<|channel|>final<|message|>",
};

/** Writes pieces of one response as marked-up text, in order. Create one per response. */
export class ReasoningMarkup {
  readonly #harmony: boolean;
  #open: Open = "none";

  constructor(modelType: string) {
    this.#harmony = planReasoning(modelType).format === "harmony";
  }

  /** The text for `piece`, with the markup that opens or closes segments before it. */
  write(piece: GeneratedPiece): string {
    return this.#harmony ? this.#harmonyText(piece) : this.#thinkText(piece);
  }

  #harmonyText(piece: GeneratedPiece): string {
    const same = this.#open === piece.channel && !piece.opens;
    // Text before any message is `final` already; it needs no header.
    if (same || (this.#open === "none" && piece.channel === "final")) {
      this.#open = piece.channel;
      return piece.text;
    }
    const close = this.#open === "thought" || this.#open === "comment" ? "<|end|>" : "";
    this.#open = piece.channel;
    return close + HARMONY_OPEN[piece.channel] + piece.text;
  }

  #thinkText(piece: GeneratedPiece): string {
    const thinking = this.#open === "thought" || this.#open === "comment";
    if (piece.channel === "final") {
      this.#open = "final";
      return (thinking ? "</think>" : "") + piece.text;
    }
    if (thinking && !piece.opens) return piece.text;
    this.#open = piece.channel;
    return `${thinking ? "</think>" : ""}<think>${piece.text}`;
  }
}
