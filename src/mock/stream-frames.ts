/**
 * A streamed reply, pre-rendered as SSE text and cut where the mock may pause: `head` goes out with the
 * first token, each entry of `tokens` is one token's frame(s) (separated by `--token-delay-ms`), `tail`
 * follows the last token. A drop sends `head` and the first token, then cuts the connection.
 * @module
 */
export interface StreamFrames {
  readonly head: string;
  readonly tokens: readonly string[];
  readonly tail: string;
}

/** The whole stream as one string (what a client receives when nothing goes wrong). */
export function joinFrames(frames: StreamFrames): string {
  return frames.head + frames.tokens.join("") + frames.tail;
}
