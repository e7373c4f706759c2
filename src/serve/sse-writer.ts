/**
 * Writing one OpenAI SSE response from serve: headers once, `data:` frames as generation goes, and an
 * end that is either `[DONE]` or, after a failure, an error event in OpenAI's envelope followed by
 * `[DONE]` (the status is already 200, so the error travels in the stream). Writes after the client
 * left are dropped.
 * @module
 */
import type { ServerResponse } from "node:http";
import type { FastifyReply } from "fastify";
import { SSE_DONE, SSE_HEADERS, sseData } from "../protocol/sse.js";
import type { ServeError } from "./errors.js";

export class SseWriter {
  readonly #response: ServerResponse;

  /** Takes the response over from fastify and sends the SSE headers. */
  constructor(reply: FastifyReply) {
    reply.hijack();
    this.#response = reply.raw;
    this.#response.writeHead(200, SSE_HEADERS);
  }

  get closed(): boolean {
    return this.#response.destroyed || this.#response.writableEnded;
  }

  /** One `data:` frame per payload, in one write. */
  send(payloads: readonly unknown[]): void {
    if (payloads.length === 0 || this.closed) return;
    this.#response.write(payloads.map(sseData).join(""));
  }

  /** `[DONE]` and the end of the response. */
  done(): void {
    if (this.closed) return;
    this.#response.end(SSE_DONE);
  }

  /** An error event, `[DONE]`, and the end. */
  fail(error: ServeError): void {
    if (this.closed) return;
    this.#response.end(sseData(error.body()) + SSE_DONE);
  }

  /** Ends without a body (the client is gone). */
  abandon(): void {
    if (!this.closed) this.#response.end();
  }
}
