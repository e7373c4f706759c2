/**
 * In-process upstreams for tests of the request path: a `node:http` server on port 0 that undici
 * reaches like any backend, answering each request with what the test's handler says. It counts
 * what it was sent and how many requests it held at once.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type UpstreamHandler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

export interface FakeUpstream {
  url: string;
  /** Requests received so far. */
  readonly hits: number;
  /** Most requests open at the same time. */
  readonly maxConcurrent: number;
  close(): Promise<void>;
}

export async function startFakeUpstream(handler: UpstreamHandler): Promise<FakeUpstream> {
  let hits = 0;
  let open = 0;
  let maxConcurrent = 0;
  const server = createServer((request, response) => {
    hits++;
    open++;
    maxConcurrent = Math.max(maxConcurrent, open);
    response.once("close", () => open--);
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => handler(request, response, Buffer.concat(chunks).toString("utf8")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return hits;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An OpenAI chat completion answer, as a backend would send it. */
export function chatCompletion(response: ServerResponse, text = "hello"): void {
  response.writeHead(200, { "content-type": "application/json" });
  response.end(
    JSON.stringify({
      id: "chatcmpl-fake",
      object: "chat.completion",
      created: 0,
      model: "fake-model",
      choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }),
  );
}

/** An error answer with a JSON body, and any extra headers (Retry-After). */
export function errorAnswer(
  response: ServerResponse,
  status: number,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify({ error: { message: `fake ${status}` } }));
}
