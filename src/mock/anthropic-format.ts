/**
 * Anthropic Messages API bodies and SSE streams for a planned reply: pure functions, no I/O.
 *
 * The stream follows Anthropic's event order exactly: `message_start` (empty content), then for each
 * block `content_block_start` … `content_block_delta`s … `content_block_stop` (a `ping` right after the
 * first block starts; a thinking block ends with a `signature_delta`), then `message_delta` (stop reason,
 * output tokens) and `message_stop`.
 * @module
 */
import { sseEvent } from "../protocol/sse.js";
import { argumentFragments, plannedTokens, type ReplyPlan, thinkingSignature } from "./script.js";
import type { StreamFrames } from "./stream-frames.js";

export interface MessageMeta {
  readonly id: string;
  readonly model: string;
}

type ContentBlock =
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: unknown };

function stopReason(plan: ReplyPlan): "max_tokens" | "end_turn" | "tool_use" {
  if (plan.toolCall) return "tool_use";
  return plan.truncated ? "max_tokens" : "end_turn";
}

function toolUseId(callId: string): string {
  return `toolu_${callId.slice("call_".length)}`;
}

/** The content blocks of a plan: a thinking block when it has reasoning apart, then the text block. */
export function contentBlocks(plan: ReplyPlan): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  if (plan.thinking.length > 0) {
    const thinking = plan.thinking.join("");
    blocks.push({ type: "thinking", thinking, signature: thinkingSignature(thinking) });
  }
  if (plan.toolCall) {
    const call = plan.toolCall;
    blocks.push({
      type: "tool_use",
      id: toolUseId(call.id),
      name: call.name,
      input: JSON.parse(call.arguments),
    });
  } else if (plan.text.length > 0 || blocks.length === 0) {
    blocks.push({ type: "text", text: plan.text.join("") });
  }
  return blocks;
}

export function anthropicMessage(meta: MessageMeta, plan: ReplyPlan, inputTokens: number) {
  return {
    id: meta.id,
    type: "message",
    role: "assistant",
    model: meta.model,
    content: contentBlocks(plan),
    stop_reason: stopReason(plan),
    stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: plannedTokens(plan) },
  };
}

function deltaFrame(index: number, type: "text_delta" | "thinking_delta", token: string): string {
  const field = type === "text_delta" ? "text" : "thinking";
  return (
    `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},` +
    `"delta":{"type":"${type}","${field}":${JSON.stringify(token)}}}\n\n`
  );
}

function blockStart(index: number, block: ContentBlock): string {
  const empty =
    block.type === "thinking"
      ? { type: "thinking", thinking: "", signature: "" }
      : block.type === "tool_use"
        ? { type: "tool_use", id: block.id, name: block.name, input: {} }
        : { type: "text", text: "" };
  return sseEvent("content_block_start", { type: "content_block_start", index, content_block: empty });
}

function blockStop(index: number, block: ContentBlock): string {
  const signature =
    block.type === "thinking"
      ? sseEvent("content_block_delta", {
          type: "content_block_delta",
          index,
          delta: { type: "signature_delta", signature: block.signature },
        })
      : "";
  return signature + sseEvent("content_block_stop", { type: "content_block_stop", index });
}

export function anthropicStream(meta: MessageMeta, plan: ReplyPlan, inputTokens: number): StreamFrames {
  const blocks = contentBlocks(plan);
  const start = sseEvent("message_start", {
    type: "message_start",
    message: {
      id: meta.id,
      type: "message",
      role: "assistant",
      model: meta.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: 0 },
    },
  });
  const head = start + blockStart(0, blocks[0]!) + sseEvent("ping", { type: "ping" });

  const tokens: string[] = [];
  for (const token of plan.thinking) tokens.push(deltaFrame(0, "thinking_delta", token));
  const lastIndex = blocks.length - 1;
  if (plan.toolCall) {
    argumentFragments(plan.toolCall.arguments).forEach((fragment, position) => {
      let frame = sseEvent("content_block_delta", {
        type: "content_block_delta",
        index: lastIndex,
        delta: { type: "input_json_delta", partial_json: fragment },
      });
      if (position === 0 && lastIndex > 0)
        frame = blockStop(0, blocks[0]!) + blockStart(lastIndex, blocks[lastIndex]!) + frame;
      tokens.push(frame);
    });
  }
  plan.text.forEach((token, position) => {
    let frame = deltaFrame(lastIndex, "text_delta", token);
    // The first text token after thinking also closes the thinking block and opens the text block.
    if (position === 0 && lastIndex > 0)
      frame = blockStop(0, blocks[0]!) + blockStart(lastIndex, blocks[lastIndex]!) + frame;
    tokens.push(frame);
  });

  // The last block (text, or thinking when max_tokens cut the reply before any text) closes in the tail.
  let tail = blockStop(lastIndex, blocks[lastIndex]!);
  tail += sseEvent("message_delta", {
    type: "message_delta",
    delta: { stop_reason: stopReason(plan), stop_sequence: null },
    usage: { output_tokens: plannedTokens(plan) },
  });
  tail += sseEvent("message_stop", { type: "message_stop" });
  return { head, tokens, tail };
}
