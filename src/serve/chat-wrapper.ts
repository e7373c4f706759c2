/**
 * Which node-llama-cpp chat wrapper renders a request's prompt and splits its output into segments.
 *
 * The model's own metadata decides by default (`resolveChatWrapper` reads the GGUF's Jinja template and
 * name). Three model types override it, because their reasoning must come out as segments and their
 * templates take a reasoning level:
 * - `gpt-oss`: `HarmonyChatWrapper` with the request's effort (low, medium, high). Analysis becomes a
 *   thought segment and commentary a comment segment.
 * - `qwen3`: `QwenChatWrapper`; effort `none` discourages thinking (the template's empty think block).
 * - `deepseek-r1`: `DeepSeekChatWrapper`.
 * Other types (gemma3, llama, mistral, generic) keep the resolved wrapper; `<think>` text such a
 * wrapper leaves in the output is still separated by the reasoning module.
 * @module
 */
import { type ChatWrapper, DeepSeekChatWrapper, HarmonyChatWrapper, QwenChatWrapper } from "node-llama-cpp";
import type { ReasoningEffort } from "../reasoning/request-options.js";
import type { ModelType } from "./options.js";

/** Harmony knows three levels; the others fold onto the nearest. */
export function harmonyEffort(effort: ReasoningEffort | undefined): "low" | "medium" | "high" | undefined {
  switch (effort) {
    case undefined:
      return undefined;
    case "none":
    case "minimal":
    case "low":
      return "low";
    case "medium":
      return "medium";
    case "high":
    case "xhigh":
      return "high";
  }
}

/** The wrapper for one request. `resolved` is the wrapper the model's metadata picked at load. */
export function chatWrapperFor(
  modelType: ModelType,
  effort: ReasoningEffort | undefined,
  resolved: ChatWrapper,
): ChatWrapper {
  switch (modelType) {
    case "gpt-oss":
      return new HarmonyChatWrapper({ reasoningEffort: harmonyEffort(effort) ?? "medium" });
    case "qwen3": {
      const variation = resolved instanceof QwenChatWrapper ? resolved.variation : "3";
      return new QwenChatWrapper({ variation, thoughts: effort === "none" ? "discourage" : "auto" });
    }
    case "deepseek-r1":
      return resolved instanceof DeepSeekChatWrapper ? resolved : new DeepSeekChatWrapper();
    default:
      return resolved;
  }
}
