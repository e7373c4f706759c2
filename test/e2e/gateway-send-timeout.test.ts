/**
 * Clients that stop reading (issue 16, finding 2), over real sockets: a raw TCP client that never
 * reads a large answer, JSON or stream, has its connection closed after `send_timeout`, which frees
 * the answer's bytes and aborts the stream's upstream request, and new clients are served; 200
 * non-readers at once (the case) neither stop new clients from being served beside them nor,
 * when they take every slot of `max_client_connections`, keep those slots past the timeouts (an
 * answer the kernel's buffers took whole leaves its connection idle: `keep_alive_timeout`); and
 * `max_connections_per_ip` closes a host's connections past its cap at once.
 */
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { chatCompletion, type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.js";
import { eventually } from "../helpers/http.js";

/** Far more than the kernel's socket buffers on both ends hold, so most of it waits in the gateway. */
const BIG_TEXT_BYTES = 24 * 1024 * 1024;

const common = {
  host: "127.0.0.1",
  port: 0,
  log_level: "silent",
  health_interval: 0,
  load_interval: 0,
  circuit_breaker_threshold: 0,
  max_retries: 0,
  shutdown_timeout: 1,
};

const upstreams: Record<string, FakeUpstream> = {};
let streamClosed: Promise<void>;
let gateway: Gateway;
let url: string;

/** An event stream that never ends, written as fast as the gateway takes it; resolves when cut. */
function endlessStream(response: ServerResponse, onClose: () => void): void {
  response.writeHead(200, { "content-type": "text/event-stream" });
  response.once("close", onClose);
  const frame = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "x".repeat(60_000) } }] })}\n\n`;
  const write = () => {
    while (!response.destroyed && response.write(frame));
    if (!response.destroyed) response.once("drain", write);
  };
  write();
}

beforeAll(async () => {
  const big = JSON.stringify({
    id: "chatcmpl-big",
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", content: "x".repeat(BIG_TEXT_BYTES) } }],
  });
  // Health probes get a plain answer; only a chat request gets the large one.
  upstreams.big = await startFakeUpstream((req, res) => {
    if (req.method !== "POST") return chatCompletion(res);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(big);
  });
  let closed!: () => void;
  streamClosed = new Promise((resolve) => {
    closed = resolve;
  });
  upstreams.stream = await startFakeUpstream((req, res) =>
    req.method === "POST" ? endlessStream(res, closed) : chatCompletion(res),
  );
  upstreams.ok = await startFakeUpstream((_req, res) => chatCompletion(res));
  gateway = buildGateway(
    gatewayConfigSchema.parse({
      ...common,
      send_timeout: 0.5,
      backends: [
        { name: "big", url: upstreams.big.url, models: ["m-big"] },
        { name: "stream", url: upstreams.stream.url, models: ["m-stream"] },
        { name: "ok", url: upstreams.ok.url, models: ["m-ok"] },
      ],
    }),
  );
  url = await gateway.start();
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
});

/** Sends a chat request on a raw socket that then reads nothing (paused: no 'data' listener). */
async function sendWithoutReading(target: string, body: object): Promise<Socket> {
  const { hostname, port } = new URL(target);
  const payload = JSON.stringify(body);
  const socket = connect(Number(port), hostname);
  socket.on("error", () => {});
  await once(socket, "connect");
  socket.write(
    `POST /v1/chat/completions HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
  );
  return socket;
}

/** Reads what is left on the socket until it ends: everything the gateway wrote before closing it. */
async function readToEnd(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  if (!socket.destroyed) await once(socket, "close");
  return Buffer.concat(chunks);
}

function openConnections(target: Gateway): Promise<number> {
  return new Promise((resolve, reject) =>
    target.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

async function chatOk(target: string): Promise<number> {
  const answer = await fetch(`${target}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", connection: "close" },
    body: JSON.stringify({ model: "m-ok", messages: [{ role: "user", content: "hi" }] }),
  });
  await answer.arrayBuffer();
  return answer.status;
}

describe("send_timeout", () => {
  it("closes a connection whose large JSON answer is never read, and serves new clients", async () => {
    const hits = upstreams.big!.hits;
    const socket = await sendWithoutReading(url, {
      model: "m-big",
      messages: [{ role: "user", content: "hi" }],
    });
    await eventually(() => upstreams.big!.hits > hits);
    // The gateway closes its side: no connection is left open for the client that never read.
    await eventually(async () => (await openConnections(gateway)) === 0, 20_000);
    const received = (await readToEnd(socket)).toString("latin1");
    const declared = Number(/content-length: (\d+)/i.exec(received)?.[1]);
    expect(declared).toBeGreaterThan(BIG_TEXT_BYTES);
    const bodyBytes = received.length - received.indexOf("\r\n\r\n") - 4;
    expect(bodyBytes).toBeLessThan(declared);
    expect(await chatOk(url)).toBe(200);
  });

  it("closes a stream nobody reads, and its upstream request with it", async () => {
    const socket = await sendWithoutReading(url, {
      model: "m-stream",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    // Resolves only once the gateway aborted its upstream request.
    await streamClosed;
    await readToEnd(socket);
    expect(await chatOk(url)).toBe(200);
  });
});

describe("max_connections_per_ip", () => {
  let capped: Gateway;
  let cappedUrl: string;

  beforeAll(async () => {
    capped = buildGateway(
      gatewayConfigSchema.parse({
        ...common,
        max_connections_per_ip: 2,
        backends: [{ name: "ok", url: upstreams.ok!.url, models: ["m-ok"] }],
      }),
    );
    cappedUrl = await capped.start();
  });

  afterAll(async () => {
    await capped?.close();
  });

  it("closes a host's connection past the cap at once, and takes it again once one is gone", async () => {
    const { hostname, port } = new URL(cappedUrl);
    const open = async () => {
      const socket = connect(Number(port), hostname);
      socket.on("error", () => {});
      await once(socket, "connect");
      return socket;
    };
    const first = await open();
    const second = await open();
    await eventually(async () => (await openConnections(capped)) === 2);
    const third = await open();
    // Refused: the gateway closes it without a byte, while the first two stay open.
    expect((await readToEnd(third)).length).toBe(0);
    expect(first.destroyed || second.destroyed).toBe(false);
    first.destroy();
    await eventually(async () => (await openConnections(capped)) === 1);
    expect(await chatOk(cappedUrl)).toBe(200);
    second.destroy();
  });
});

describe("200 non-reading clients", () => {
  /** An answer far larger than what a non-reading peer's socket buffers take at first. */
  const MID_TEXT_BYTES = 1024 * 1024;
  const NON_READERS = 200;
  const SERVED_BESIDE = 10;
  let held: Gateway;
  let heldUrl: string;
  let mid: FakeUpstream;

  beforeAll(async () => {
    const answer = JSON.stringify({
      id: "chatcmpl-mid",
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: "x".repeat(MID_TEXT_BYTES) } }],
    });
    mid = await startFakeUpstream((req, res) => {
      if (req.method !== "POST") return chatCompletion(res);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(answer);
    });
    held = buildGateway(
      gatewayConfigSchema.parse({
        ...common,
        send_timeout: 2,
        keep_alive_timeout: 2,
        max_client_connections: NON_READERS + SERVED_BESIDE,
        backends: [
          { name: "mid", url: mid.url, models: ["m-mid"] },
          { name: "ok", url: upstreams.ok!.url, models: ["m-ok"] },
        ],
      }),
    );
    heldUrl = await held.start();
  });

  afterAll(async () => {
    await held?.close();
    await mid?.close();
  });

  /** Opens `count` non-readers and waits until the backend was asked for each one's answer. */
  async function openNonReaders(count: number): Promise<Socket[]> {
    const hits = mid.hits;
    const sockets = await Promise.all(
      Array.from({ length: count }, () =>
        sendWithoutReading(heldUrl, { model: "m-mid", messages: [{ role: "user", content: "hi" }] }),
      ),
    );
    await eventually(() => mid.hits >= hits + count, 20_000);
    return sockets;
  }

  /** Waits until the gateway has closed every connection, then reads what each socket got. */
  async function closedByGateway(sockets: Socket[]): Promise<Buffer[]> {
    await eventually(async () => (await openConnections(held)) === 0, 30_000);
    return Promise.all(sockets.map(readToEnd));
  }

  /**
   * Every socket was closed by the gateway, each with its answer begun: cut short by send_timeout
   * where the answer outgrew the socket buffers, whole and then idle past keep_alive_timeout where
   * the kernel took it all.
   */
  function expectClosedByGateway(received: Buffer[]): void {
    for (const bytes of received) {
      const text = bytes.toString("latin1");
      expect(text.startsWith("HTTP/1.1 200")).toBe(true);
      const declared = Number(/content-length: (\d+)/i.exec(text)?.[1]);
      expect(declared).toBeGreaterThan(MID_TEXT_BYTES);
      expect(text.length - text.indexOf("\r\n\r\n") - 4).toBeLessThanOrEqual(declared);
    }
  }

  it("serves new clients beside them, then closes every one after send_timeout or keep_alive_timeout", async () => {
    const sockets = await openNonReaders(NON_READERS);
    const served = await Promise.all(Array.from({ length: SERVED_BESIDE }, () => chatOk(heldUrl)));
    expect(served).toEqual(Array(SERVED_BESIDE).fill(200));
    expectClosedByGateway(await closedByGateway(sockets));
  }, 60_000);

  it("frees every slot they took, and a new client is served", async () => {
    const sockets = await openNonReaders(NON_READERS + SERVED_BESIDE);
    expectClosedByGateway(await closedByGateway(sockets));
    expect(await chatOk(heldUrl)).toBe(200);
  }, 60_000);
});
