/**
 * The hot-prefix mix: one long system prompt (a few thousand tokens) opens most requests, each with
 * its own question; the rest are chat requests with no shared prefix. A router that follows the
 * prefix alone sends most of the traffic to one engine (the "death spiral" of cache-aware routers),
 * so this is where a load bound must hold.
 * @module
 */
import { syntheticPrompt } from "../synthetic-prompt.js";
import { ChatShape } from "./chat.js";
import { between, type PromptShape, type ShapedPrompt } from "./shape.js";

export const HOT_PREFIX = {
  /** Share of requests that open with the hot prefix. */
  share: 0.85,
  prefixTokens: 3000,
  question: [50, 300],
  output: [50, 400],
} as const;

export class HotPrefixShape implements PromptShape {
  readonly #random: () => number;
  readonly #prefix: string;
  readonly #chat: ChatShape;

  constructor(random: () => number) {
    this.#random = random;
    this.#prefix = syntheticPrompt(HOT_PREFIX.prefixTokens, random);
    this.#chat = new ChatShape(random);
  }

  next(): ShapedPrompt {
    const random = this.#random;
    if (random() >= HOT_PREFIX.share) return this.#chat.next();
    return {
      messages: [
        { role: "system", content: this.#prefix },
        { role: "user", content: syntheticPrompt(between(random, ...HOT_PREFIX.question), random) },
      ],
      outputTokens: between(random, ...HOT_PREFIX.output),
    };
  }
}
