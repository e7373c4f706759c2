/**
 * The chat mix: independent single-turn conversations with no shared prefix. Every prompt starts
 * with different words, so no engine can reuse another request's KV cache and prefix-aware routing
 * has nothing to gain; it must then cost nothing against the load-aware strategies.
 * @module
 */
import { syntheticPrompt } from "../synthetic-prompt.js";
import { between, type PromptShape, type ShapedPrompt } from "./shape.js";

export const CHAT_LENGTHS = { prompt: [200, 1500], output: [50, 400] } as const;

export class ChatShape implements PromptShape {
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  next(): ShapedPrompt {
    const random = this.#random;
    const prompt = syntheticPrompt(between(random, ...CHAT_LENGTHS.prompt), random);
    return {
      messages: [{ role: "user", content: prompt }],
      outputTokens: between(random, ...CHAT_LENGTHS.output),
    };
  }
}
