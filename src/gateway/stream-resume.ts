/**
 * Opt-in mid-stream failover for OpenAI chat streams. The stream is watched as it passes (text so
 * far, tool calls, finish); if its backend fails after the first byte, the request is sent to another
 * backend with the text produced so far as an assistant prefill (`continue_final_message`, as vLLM
 * names it), and the continuation's chunks are appended to the client's stream under the original
 * chunk id, without a second role chunk. A stream that was inside a tool call, or already finished,
 * is never resumed: it ends with an error event as usual.
 * @module
 */
import type { ServerResponse } from "node:http";
import { StringDecoder } from "node:string_decoder";
import { createParser } from "eventsource-parser";
import type { Dispatcher } from "undici";
import { SSE_DONE, SSE_HEADERS, sseData, sseRawData } from "../protocol/sse.js";
import { streamErrorFrame, UPSTREAM_FAILED } from "../protocol/stream-error.js";
import { describeUpstreamError } from "../upstream/errors.js";
import { clientResponseHeaders } from "../upstream/headers.js";
import { MAX_PENDING_SSE_BYTES, pendingSseOverflow, type RelayOutcome } from "./relay.js";

/** At most this many resumptions per request: a second failure in a row says more than luck. */
export const MAX_RESUMES = 2;

export interface Continuation {
  response: Dispatcher.ResponseData;
  backendId: string;
  /** Ends the continuation's lease; called once when its body is done. */
  release(outcome: "success" | "failure" | "abandoned"): void;
}

export type ContinueStream = (prefill: string) => Promise<Continuation | undefined>;

interface StreamChunk {
  id?: unknown;
  choices?: {
    delta?: { content?: unknown; role?: unknown; tool_calls?: unknown };
    finish_reason?: unknown;
  }[];
}

/** What has passed so far, and whether the stream may still be resumed. */
export class ResumeTracker {
  id: string | undefined;
  text = "";
  sawToolCall = false;
  finished = false;
  sawDone = false;

  get resumable(): boolean {
    return !this.sawToolCall && !this.finished && !this.sawDone;
  }

  /** The frame to write for one upstream event; undefined drops it (a continuation's role chunk). */
  frame(data: string, continuing: boolean): string | undefined {
    if (data === "[DONE]") {
      this.sawDone = true;
      return SSE_DONE;
    }
    let chunk: StreamChunk;
    try {
      chunk = JSON.parse(data) as StreamChunk;
    } catch {
      return sseRawData(data);
    }
    if (typeof chunk !== "object" || chunk === null) return sseRawData(data);
    const first = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    const choice = typeof first === "object" && first !== null ? first : undefined;
    const content = typeof choice?.delta?.content === "string" ? choice.delta.content : "";
    if (choice?.delta?.tool_calls !== undefined) this.sawToolCall = true;
    if (choice?.finish_reason !== undefined && choice.finish_reason !== null) this.finished = true;
    if (!continuing) {
      if (this.id === undefined && typeof chunk.id === "string") this.id = chunk.id;
      this.text += content;
      return sseRawData(data);
    }
    const onlyRole =
      choice !== undefined && content === "" && choice.delta?.role !== undefined && !this.finished;
    if (onlyRole && choice.delta?.tool_calls === undefined) return undefined;
    this.text += content;
    if (this.id !== undefined) chunk.id = this.id;
    return sseData(chunk);
  }
}

type PumpOutcome = { kind: "ended" } | { kind: "client_gone" } | { kind: "broken"; error: Error };

/** Writes one upstream body's events to the client until it ends, breaks, or the client leaves. */
function pump(
  raw: ServerResponse,
  body: Dispatcher.ResponseData["body"],
  tracker: ResumeTracker,
  continuing: boolean,
): Promise<PumpOutcome> {
  let pendingBytes = 0;
  const parser = createParser({
    onEvent: (event) => {
      pendingBytes = 0;
      let frame: string | undefined;
      try {
        frame = tracker.frame(event.data, continuing);
      } catch {
        // Unreadable chunks pass as they came: watching the stream must never break it.
        frame = sseRawData(event.data);
      }
      if (frame !== undefined && !raw.write(frame) && !body.isPaused()) {
        body.pause();
        raw.once("drain", () => body.resume());
      }
    },
  });
  const decoder = new StringDecoder("utf8");
  return new Promise<PumpOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: PumpOutcome) => {
      if (settled) return;
      settled = true;
      raw.off("close", onClose);
      resolve(outcome);
    };
    const onClose = () => {
      if (!raw.writableFinished) {
        body.destroy();
        settle({ kind: "client_gone" });
      }
    };
    raw.once("close", onClose);
    body.on("data", (chunk: Buffer) => {
      pendingBytes += chunk.length;
      parser.feed(decoder.write(chunk));
      // An upstream that never completes an event is broken: resume elsewhere or end with an error.
      if (pendingBytes > MAX_PENDING_SSE_BYTES) {
        body.destroy();
        settle({ kind: "broken", error: pendingSseOverflow(pendingBytes) });
      }
    });
    body.once("end", () => {
      parser.feed(decoder.end());
      settle({ kind: "ended" });
    });
    body.once("error", (error: Error) =>
      settle(raw.destroyed ? { kind: "client_gone" } : { kind: "broken", error }),
    );
  });
}

export interface ResumableRelayOptions {
  raw: ServerResponse;
  response: Dispatcher.ResponseData;
  headers: Record<string, string>;
  continueStream: ContinueStream;
  /** The first backend broke: count it against that backend. */
  onBroken: (error: Error) => void;
}

export async function relayResumable(options: ResumableRelayOptions): Promise<RelayOutcome> {
  const { raw } = options;
  const headers = clientResponseHeaders(options.response.headers, { ...SSE_HEADERS, ...options.headers });
  delete headers["content-length"];
  raw.writeHead(options.response.statusCode, headers);
  const tracker = new ResumeTracker();
  let body = options.response.body;
  let continuation: Continuation | undefined;
  for (let resumes = 0; ; resumes++) {
    const outcome = await pump(raw, body, tracker, resumes > 0);
    if (outcome.kind !== "broken") {
      continuation?.release(outcome.kind === "ended" ? "success" : "abandoned");
      if (outcome.kind === "client_gone") return "client_gone";
      raw.end();
      return "complete";
    }
    if (continuation) continuation.release("failure");
    else options.onBroken(outcome.error);
    const next =
      tracker.resumable && resumes < MAX_RESUMES ? await options.continueStream(tracker.text) : undefined;
    if (!next) {
      const message = `The backend failed mid-stream: ${describeUpstreamError(outcome.error)}`;
      raw.end(streamErrorFrame("openai", 502, message, UPSTREAM_FAILED));
      return "upstream_broke";
    }
    continuation = next;
    body = next.response.body;
  }
}
