/**
 * An upstream body written to the client as its bytes arrive, with backpressure, and without
 * `Readable.pipe`: a pipe adds some ten listeners to the two streams and takes them off again for
 * every answer, which on a short stream (a whole chat answer is often one chunk) costs more than
 * writing it. Here one `data` listener reads the taps and writes, and `end` ends the response.
 * @module
 */
import type { Readable, Writable } from "node:stream";
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
  body.on("data", (chunk: Buffer) => {
    if (onUsage) {
      const usage = findUsage(chunk);
      if (usage) onUsage(usage);
    }
    onChunk?.(chunk);
    if (!raw.write(chunk) && !body.isPaused()) {
      body.pause();
      raw.once("drain", resume);
    }
  });
  body.once("end", () => raw.end());
}
