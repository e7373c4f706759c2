/**
 * The reasoning request of a client whose protocol has a place of its own for reasoning (Anthropic
 * thinking blocks, Responses reasoning items): every channel is kept and the reasoning is separated
 * from the answer, so a chat backend's `<think>` text or harmony channels reach the client in that
 * place instead of inside the answer.
 * @module
 */
import type { ReasoningRequest } from "../../reasoning/request-options.js";

export const REASONING_SEPARATED: ReasoningRequest = {
  separateThinking: false,
  includeChannels: ["analysis", "commentary", "final"],
  effort: undefined,
  developerInstructions: undefined,
};
