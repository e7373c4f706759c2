/**
 * Writing a reply over time: delays that end early when the client goes away, streams paced token by
 * token, and connections cut on purpose. Nothing here starts a timer when the delay is 0, and every timer
 * it starts is cleared when the response closes, so a departed client leaks nothing.
 * @module
 */
import type { ServerResponse } from "node:http";
import { SSE_HEADERS } from "../protocol/sse.js";
import { joinFrames, type StreamFrames } from "./stream-frames.js";

/** True once the client is gone (or the server closed the connection). */
export function isClosed(response: ServerResponse): boolean {
  return response.destroyed || (response.socket?.destroyed ?? false);
}

/**
 * Waits `ms`; resolves true when the time passed, false as soon as the response closes first.
 * The timer and the listener are removed either way.
 */
export function waitUnlessClosed(response: ServerResponse, ms: number): Promise<boolean> {
  if (isClosed(response)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      response.off("close", onClose);
      resolve(true);
    }, ms);
    response.once("close", onClose);
  });
}

/** Writes `data`, then destroys the socket once the data has been handed to the kernel. */
export function cutAfter(response: ServerResponse, data: string): void {
  if (data.length === 0) {
    response.destroy();
    return;
  }
  response.write(data, () => response.destroy());
}

export interface Pacing {
  readonly firstTokenDelayMs: number;
  readonly tokenDelayMs: number;
}

/**
 * Streams `frames` as SSE: headers at once, the head and first token after `firstTokenDelayMs`, each
 * further token `tokenDelayMs` later. With `drop`, the connection is cut right after the first token.
 * Zero delays write the whole stream in one `end()`.
 */
export async function sendStream(
  response: ServerResponse,
  frames: StreamFrames,
  pacing: Pacing,
  drop: boolean,
): Promise<void> {
  response.writeHead(200, SSE_HEADERS);
  if (pacing.firstTokenDelayMs > 0) {
    response.flushHeaders();
    if (!(await waitUnlessClosed(response, pacing.firstTokenDelayMs))) return;
  }
  if (drop) {
    response.flushHeaders();
    cutAfter(response, frames.head + (frames.tokens[0] ?? ""));
    return;
  }
  if (pacing.tokenDelayMs === 0 || frames.tokens.length <= 1) {
    response.end(joinFrames(frames));
    return;
  }
  response.write(frames.head + frames.tokens[0]);
  for (let i = 1; i < frames.tokens.length; i++) {
    if (!(await waitUnlessClosed(response, pacing.tokenDelayMs))) return;
    response.write(frames.tokens[i]!);
  }
  response.end(frames.tail);
}
