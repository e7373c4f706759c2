/**
 * Why generation stopped, in each protocol: one table per direction, used by responses and streams.
 * @module
 */
import type { AnthropicStopReason } from "../anthropic/types.js";
import type { OpenAIFinishReason } from "./openai-types.js";

/** OpenAI `finish_reason` → Anthropic `stop_reason`. `stop` is refined by {@link stopReasonFor}. */
export const STOP_REASON_FOR_FINISH: Readonly<Record<OpenAIFinishReason, AnthropicStopReason>> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  function_call: "tool_use",
  content_filter: "refusal",
};

/** Anthropic `stop_reason` → OpenAI `finish_reason`. */
export const FINISH_REASON_FOR_STOP: Readonly<Record<AnthropicStopReason, OpenAIFinishReason>> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  tool_use: "tool_calls",
  // Only server tools pause a turn, and we never send server tools; the turn did end.
  pause_turn: "stop",
  refusal: "content_filter",
  model_context_window_exceeded: "length",
};

/**
 * The Anthropic stop reason for an OpenAI finish.
 * @param finish the upstream `finish_reason`; missing or unknown counts as a natural end
 * @param stopSequence the stop string that matched, when the backend says (vLLM's `stop_reason`)
 * @param calledTools whether the reply holds tool calls: some servers (Ollama, older vLLM) finish
 *   tool calls with `stop`, and Anthropic clients run tools on `tool_use`
 */
export function stopReasonFor(
  finish: unknown,
  stopSequence: string | null,
  calledTools: boolean,
): AnthropicStopReason {
  const mapped = typeof finish === "string" && Object.hasOwn(STOP_REASON_FOR_FINISH, finish);
  const reason = mapped ? STOP_REASON_FOR_FINISH[finish as OpenAIFinishReason] : "end_turn";
  if (reason !== "end_turn") return reason;
  if (stopSequence !== null) return "stop_sequence";
  return calledTools ? "tool_use" : "end_turn";
}

/** The OpenAI finish reason for an Anthropic stop; `null` while it is unknown. */
export function finishReasonFor(stop: unknown): OpenAIFinishReason | null {
  if (typeof stop !== "string") return null;
  return Object.hasOwn(FINISH_REASON_FOR_STOP, stop)
    ? FINISH_REASON_FOR_STOP[stop as AnthropicStopReason]
    : "stop";
}

/** The stop string a choice reports (vLLM's `stop_reason`; a number there is a stop token, not a string). */
export function matchedStopSequence(finish: unknown, stopReason: unknown): string | null {
  return finish === "stop" && typeof stopReason === "string" ? stopReason : null;
}
