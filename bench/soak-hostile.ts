/**
 * The soak's hostile actors that are not mock processes: an in-process backend whose answers are
 * far larger than the gateway's `max_upstream_body_bytes` (the gateway must cut them and retry
 * elsewhere), a "wide" backend whose answers fit the limit but are large, and clients that ask
 * the wide backend's model for such answers over raw TCP and never read them (the gateway's
 * `send_timeout` must close them).
 * @module
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface BodyServer {
  url: string;
  close(): Promise<void>;
}

/** A chat completion whose content is `bytes` long (a stream request gets a 503, to be retried). */
function completion(model: string, bytes: number): string {
  return JSON.stringify({
    id: "chatcmpl-soak",
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      { index: 0, message: { role: "assistant", content: "x".repeat(bytes) }, finish_reason: "stop" },
    ],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}

/** Serves `/health`, `/v1/models` and chat completions of `bytes` content, sent without a length. */
export async function startBodyServer(model: string, bytes: number): Promise<BodyServer> {
  const body = Buffer.from(completion(model, bytes));
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.method === "GET") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(
          JSON.stringify({ object: "list", data: [{ id: model, object: "model" }], status: "ok" }),
        );
        return;
      }
      const stream = /"stream"\s*:\s*true/.test(Buffer.concat(chunks).toString("utf8"));
      if (stream) {
        response.writeHead(503, { "content-type": "application/json" });
        response.end('{"error":{"message":"soak: no streams here"}}');
        return;
      }
      // Chunked, so the gateway finds the size only while reading.
      response.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
      response.on("error", () => undefined);
      response.end(body);
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface NonReaderTally {
  opened: number;
  /** Closed by the gateway (reset or ended before every answer was read). */
  closed: number;
  /** Still open, all answers delivered, after the wait: the send timeout did not bite. */
  notClosed: number;
}

/**
 * One non-reading client: sends `pipelined` requests for large answers on one connection, reads
 * nothing for `waitMs` (the kernel buffers fill, the gateway's writes stall), then reads to see
 * whether the gateway closed it.
 */
async function nonReader(
  base: string,
  model: string,
  pipelined: number,
  waitMs: number,
  tally: NonReaderTally,
  minAnswerBytes: number,
): Promise<void> {
  const { hostname, port } = new URL(base);
  const body = JSON.stringify({ model, messages: [{ role: "user", content: "big" }], max_tokens: 16 });
  const request =
    `POST /v1/chat/completions HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const socket = connect(Number(port), hostname);
  tally.opened++;
  let ended = false;
  const done = new Promise<void>((resolve) => {
    socket.once("close", () => {
      ended = true;
      resolve();
    });
  });
  socket.on("error", () => undefined);
  socket.once("connect", () => {
    socket.pause();
    socket.write(request.repeat(pipelined));
  });
  await Promise.race([done, sleep(waitMs)]);
  // Drain: a closed connection ends (or resets) soon; an open one delivers everything and idles.
  socket.resume();
  let read = 0;
  socket.on("data", (chunk: Buffer) => {
    read += chunk.length;
  });
  await Promise.race([done, sleep(10_000)]);
  // An idle keep-alive close after every answer arrived is not the send timeout's doing.
  if (ended && read < pipelined * minAnswerBytes) tally.closed++;
  else tally.notClosed++;
  socket.destroy();
}

/** `clients` non-reading clients in a loop until `deadline` (ms since the epoch). */
export async function nonReaders(
  base: string,
  model: string,
  clients: number,
  waitMs: number,
  deadline: number,
  tally: NonReaderTally,
  minAnswerBytes: number,
): Promise<void> {
  const loop = async () => {
    while (Date.now() + waitMs + 10_000 < deadline)
      await nonReader(base, model, 16, waitMs, tally, minAnswerBytes);
  };
  await Promise.all(Array.from({ length: clients }, loop));
}
