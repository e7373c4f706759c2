/**
 * A light OpenAI-compatible backend over HTTP/2 with TLS (no HTTP/1.1): `/v1/models`, `/health`
 * and `/v1/chat/completions`, streamed as SSE. A stream sends its first chunk at once and the rest
 * only after `release()` (or `tokenDelayMs` apart when nothing holds it), so a bench or test can
 * keep thousands of streams open at the same time. Counts the TLS connections it accepted and the
 * streams open at once, which is what "streams share few connections" is measured by.
 * @module
 */
import { once } from "node:events";
import {
  constants,
  createSecureServer,
  type Http2SecureServer,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import type { Socket } from "node:net";
import type { TestCertificate } from "./tls-cert.js";

export interface H2UpstreamOptions {
  certificate: TestCertificate;
  model?: string;
  /** Chunks after the first, each carrying one word. */
  tokens?: number;
  tokenDelayMs?: number;
  /** Hold every stream after its first chunk until `release()`. */
  hold?: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS the server advertises. */
  maxConcurrentStreams?: number;
}

export interface H2Upstream {
  url: string;
  port: number;
  /** TLS connections accepted so far. */
  connections(): number;
  /** Streams open now, and the most open at once. */
  openStreams(): number;
  peakStreams(): number;
  /** Chat streams whose first chunk was sent. */
  started(): number;
  /** Lets held streams finish, and streams from now on run through. */
  release(): void;
  /** Holds streams started from now on after their first chunk, until `release()`. */
  hold(): void;
  close(): Promise<void>;
}

export async function startH2Upstream(options: H2UpstreamOptions): Promise<H2Upstream> {
  const model = options.model ?? "h2-model";
  const tokens = options.tokens ?? 3;
  const delayMs = options.tokenDelayMs ?? 10;
  let held = options.hold ?? false;
  const waiting = new Set<() => void>();
  let accepted = 0;
  let open = 0;
  let peak = 0;
  let started = 0;
  const sockets = new Set<Socket>();

  const server: Http2SecureServer = createSecureServer({
    ...options.certificate,
    allowHTTP1: false,
    settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 1000 },
  });
  server.on("secureConnection", (socket: Socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("sessionError", () => undefined);
  server.on("stream", (stream, headers) => {
    open += 1;
    peak = Math.max(peak, open);
    stream.on("close", () => (open -= 1));
    stream.on("error", () => undefined);
    void answer(stream, headers);
  });

  async function answer(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const path = String(headers[constants.HTTP2_HEADER_PATH] ?? "");
    const method = String(headers[constants.HTTP2_HEADER_METHOD] ?? "");
    if (method === "GET" && path.startsWith("/v1/models"))
      return json(stream, 200, { object: "list", data: [{ id: model, object: "model", owned_by: "bench" }] });
    if (method === "GET" && path.startsWith("/health")) return json(stream, 200, { status: "ok" });
    if (method !== "POST" || !path.startsWith("/v1/chat/completions"))
      return json(stream, 404, { error: { message: "not found" } });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as { stream?: boolean };
    if (!body.stream) {
      const content = words(tokens + 1).join("");
      return json(stream, 200, {
        id: "chatcmpl-h2",
        object: "chat.completion",
        created: 0,
        model,
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: { prompt_tokens: 1, completion_tokens: tokens + 1, total_tokens: tokens + 2 },
      });
    }
    if (stream.destroyed) return;
    stream.respond({ ":status": 200, "content-type": "text/event-stream", "cache-control": "no-cache" });
    const send = (delta: object, finish: string | null) =>
      stream.write(
        `data: ${JSON.stringify({ id: "chatcmpl-h2", object: "chat.completion.chunk", created: 0, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
      );
    send({ role: "assistant", content: "" }, null);
    started += 1;
    if (held) await new Promise<void>((resolve) => waiting.add(resolve));
    for (const word of words(tokens)) {
      if (stream.destroyed) return;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      send({ content: word }, null);
    }
    if (stream.destroyed) return;
    send({}, "stop");
    stream.end("data: [DONE]\n\n");
  }

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const release = () => {
    held = false;
    for (const resolve of waiting) resolve();
    waiting.clear();
  };
  return {
    url: `https://localhost:${port}`,
    port,
    connections: () => accepted,
    openStreams: () => open,
    peakStreams: () => peak,
    started: () => started,
    release,
    hold: () => {
      held = true;
    },
    async close() {
      release();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function json(stream: ServerHttp2Stream, status: number, body: unknown): void {
  if (stream.destroyed) return;
  stream.respond({ ":status": status, "content-type": "application/json" });
  stream.end(JSON.stringify(body));
}

const WORDS = ["one ", "two ", "three ", "four ", "five ", "six ", "seven ", "eight "];

function words(count: number): string[] {
  return Array.from({ length: count }, (_, index) => WORDS[index % WORDS.length]!);
}
