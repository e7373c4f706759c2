/**
 * A small JSON POST with a hard deadline, for side requests that are not inference (token counts):
 * the whole exchange (connect, headers, body) ends by `signal`, and the answer is read whole, up
 * to {@link MAX_SIDE_ANSWER_BYTES}, since these answers are small and a larger one is not what was
 * asked for.
 * @module
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";

/** The most a side answer may hold; beyond it the request counts as failed. */
export const MAX_SIDE_ANSWER_BYTES = 1024 * 1024;

export interface PostResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export async function postWithDeadline(
  dispatcher: Dispatcher,
  path: string,
  body: Buffer | string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<PostResult> {
  const response = await dispatcher.request({
    method: "POST",
    path,
    headers: { ...headers, "content-type": "application/json" },
    body,
    signal,
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_SIDE_ANSWER_BYTES) {
      response.body.destroy();
      throw new Error(`the answer is larger than ${MAX_SIDE_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) };
}
