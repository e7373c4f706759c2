/**
 * Reads an upstream body whole, as a JSON answer must be (to rewrite it, or splice `_routing` in),
 * but never more than a limit: a backend that answers a gigabyte would otherwise hold it in memory,
 * twice. The declared length is checked before a byte is read, the running count on every chunk.
 * @module
 */
import type { Readable } from "node:stream";

/** The body is over the limit: a failure of the backend that sent it, not of the request. */
export class BodyTooLargeError extends Error {
  readonly code = "SWY_UPSTREAM_BODY_TOO_LARGE";

  constructor(limit: number, declared?: number, limitName = "max_upstream_body_bytes") {
    super(
      declared === undefined
        ? `the answer is larger than ${limitName} (${limit} bytes)`
        : `the answer declares ${declared} bytes, more than ${limitName} (${limit} bytes)`,
    );
    this.name = "BodyTooLargeError";
  }
}

/**
 * The body's bytes, in one buffer. Throws BodyTooLargeError (the body destroyed, which aborts its
 * upstream request) past `limit`, or whatever the body itself throws.
 */
export async function readBounded(
  body: Readable,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  limit: number,
  limitName?: string,
): Promise<Buffer> {
  const declared = Number(headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    discard(body);
    throw new BodyTooLargeError(limit, declared, limitName);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    // Events, not `for await`: an async iterator per body costs more than the reading itself.
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      total += bytes.length;
      if (total <= limit) return void chunks.push(bytes);
      body.off("data", onData);
      body.off("end", onEnd);
      discard(body);
      reject(new BodyTooLargeError(limit, undefined, limitName));
    };
    const onEnd = () => {
      body.off("error", reject);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    body.on("data", onData);
    body.once("end", onEnd);
    body.once("error", reject);
  });
}

/** Destroys a body nobody will read: undici's says so with an abort error, which must be heard. */
function discard(body: Readable): void {
  body.on("error", () => {});
  body.destroy();
}
