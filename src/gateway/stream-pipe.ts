/**
 * An upstream body written to the client as its bytes arrive, with backpressure, and without
 * `Readable.pipe`: a pipe adds some ten listeners to the two streams and takes them off again for
 * every answer, which on a short stream (a whole chat answer is often one chunk) costs more than
 * writing it. Here one `data` listener reads the taps and writes, and `end` ends the response.
 * @module
 */
import { Socket } from "node:net";
import type { Readable, Writable } from "node:stream";
import type { BodyFlow, BodySink, UpstreamAnswer } from "../upstream/dispatch-call.js";
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
 * no Readable between, so a chunk costs one write, and no cork of our own: the handler is told a
 * read's chunks and the end in the same turn, inside Node's own cork of the response's first write.
 * A body that ended before it was forwarded (the usual one-read chat stream) is written and ended
 * within `forward`: then `ended` is true and nothing waits.
 */
export class AnswerPipe implements BodySink {
  readonly #raw: Writable;
  readonly #onUsage: BodyTaps["onUsage"];
  readonly #onChunk: BodyTaps["onChunk"];
  #flow: BodyFlow | undefined;
  #waiting = false;
  /** The body ended and `raw` was ended. */
  ended = false;
  /** The call failed before `onError` was set (during `forward`). */
  failure: Error | undefined;
  /** Hears the call failing; until set, a failure is kept in `failure`. */
  onError: ((error: Error) => void) | undefined;

  constructor(raw: Writable, taps: BodyTaps) {
    this.#raw = raw;
    this.#onUsage = taps.onUsage;
    this.#onChunk = taps.onChunk;
  }

  /** Takes the answer's body; the returned flow is aborted by the caller when `raw` closes early. */
  forward(answer: Required<Pick<UpstreamAnswer, "forward">>): BodyFlow {
    const flow = answer.forward(this);
    this.#flow = flow;
    return flow;
  }

  write(chunk: Buffer): boolean {
    const onUsage = this.#onUsage;
    if (onUsage) {
      const usage = findUsage(chunk);
      if (usage) onUsage(usage);
    }
    this.#onChunk?.(chunk);
    if (this.#raw.write(chunk)) return true;
    if (!this.#waiting) {
      this.#waiting = true;
      // Made only under back-pressure: most streams never wait.
      this.#raw.once("drain", () => this.#drained());
    }
    return false;
  }

  #drained(): void {
    this.#waiting = false;
    this.#flow?.resume();
  }

  end(): void {
    this.ended = true;
    this.#raw.end();
  }

  error(error: Error): void {
    if (this.onError) this.onError(error);
    else this.failure = error;
  }
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
