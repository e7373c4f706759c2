/**
 * An upstream body written to the client as its bytes arrive, with backpressure, and without
 * `Readable.pipe`: a pipe adds some ten listeners to the two streams and takes them off again for
 * every answer, which on a short stream (a whole chat answer is often one chunk) costs more than
 * writing it. Here one `data` listener reads the taps and writes, and `end` ends the response.
 * @module
 */
import { Socket } from "node:net";
import type { Readable, Writable } from "node:stream";
import type { BodyFlow, UpstreamAnswer } from "../upstream/dispatch-call.js";
import { findUsage, type TokenUsage } from "../upstream/usage.js";

/** Who reads the bytes as they pass; both absent for a body nobody looks at. */
export interface BodyTaps {
  /** Told the token counts of each chunk that carries `usage`. */
  onUsage?: ((usage: TokenUsage) => void) | undefined;
  /** Told each chunk as the client gets it. */
  onChunk?: ((chunk: Buffer) => void) | undefined;
}

/**
 * Writes `body` to `raw` until it ends, then ends `raw`. Errors and the client leaving are the
 * caller's: it listens for them (relay.ts pipeBytes) and destroys `body` when `raw` closes.
 */
export function forwardBody(body: Readable, raw: Writable, taps: BodyTaps): void {
  const { onUsage, onChunk } = taps;
  const resume = () => body.resume();
  const holdTurn = turnCork(raw);
  body.on("data", (chunk: Buffer) => {
    if (onUsage) {
      const usage = findUsage(chunk);
      if (usage) onUsage(usage);
    }
    onChunk?.(chunk);
    holdTurn?.();
    if (!raw.write(chunk) && !body.isPaused()) {
      body.pause();
      raw.once("drain", resume);
    }
  });
  body.once("end", () => raw.end());
}

/**
 * As forwardBody, from the upstream call's handler straight to `raw` (dispatch-call.ts `forward`):
 * no Readable between, so a chunk costs one write. `onError` hears the call failing; the caller
 * aborts the returned flow when `raw` closes early.
 */
export function forwardAnswer(
  answer: Required<Pick<UpstreamAnswer, "forward">>,
  raw: Writable,
  taps: BodyTaps,
  onError: (error: Error) => void,
): BodyFlow {
  const { onUsage, onChunk } = taps;
  const holdTurn = turnCork(raw);
  let flow: BodyFlow | undefined;
  let waiting = false;
  const resume = () => {
    waiting = false;
    flow?.resume();
  };
  flow = answer.forward({
    write(chunk) {
      if (onUsage) {
        const usage = findUsage(chunk);
        if (usage) onUsage(usage);
      }
      onChunk?.(chunk);
      holdTurn?.();
      if (raw.write(chunk)) return true;
      if (!waiting) {
        waiting = true;
        raw.once("drain", resume);
      }
      return false;
    },
    end: () => raw.end(),
    error: onError,
  });
  return flow;
}

/**
 * Corks the socket under an HTTP/1 response until the turn's microtasks, so that a stream's last
 * chunk and its end leave in one write. Node corks it for each write only until its next tick, and
 * the body's `end` comes in a later tick than its last chunk, so the chunked terminator
 * (`0\r\n\r\n`) was a system call of its own at the end of every stream of several reads; the
 * baseline proxy, told of the end in the same tick, sends it with the last chunk. Each chunk still
 * leaves in the turn it arrived in. Undefined for any other writable (nothing to hold).
 */
function turnCork(raw: Writable): (() => void) | undefined {
  const socket = (raw as { socket?: unknown }).socket;
  if (!(socket instanceof Socket)) return undefined;
  let held = false;
  const release = () => {
    held = false;
    // The response's end uncorks fully; then this finds nothing corked and does nothing.
    socket.uncork();
  };
  return () => {
    if (held) return;
    held = true;
    socket.cork();
    queueMicrotask(release);
  };
}
