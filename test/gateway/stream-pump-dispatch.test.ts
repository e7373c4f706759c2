/**
 * The SSE pump fed by the upstream call's own handler (dispatch-call.ts `forward`), no Readable
 * between: a real HTTP server on port 0 is the upstream, reached through an undici Pool; an
 * in-process Writable is the client. Back-pressure, the client leaving, the upstream breaking, and
 * a resume onto a second upstream answer.
 */
import { once } from "node:events";
import { createServer, type RequestListener, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Writable } from "node:stream";
import { Pool } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  answerSource,
  type BodySource,
  MAX_PENDING_SSE_BYTES,
  pumpEvents,
  type StreamRecovery,
} from "../../src/gateway/stream-pump.js";
import { createPassthrough } from "../../src/protocol/translate/passthrough.js";
import { ClientGone } from "../../src/upstream/client-gone.js";
import { dispatchCall, type UpstreamAnswer } from "../../src/upstream/dispatch-call.js";

const servers: Server[] = [];
const pools: Pool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.destroy()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** An upstream answering each request with `listener`; resolves to a call that gets its streamed answer. */
async function upstream(listener: RequestListener): Promise<() => Promise<UpstreamAnswer>> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const pool = new Pool(`http://127.0.0.1:${port}`);
  pools.push(pool);
  return () =>
    dispatchCall(
      pool,
      {
        method: "POST",
        path: "/",
        headers: {},
        body: "{}",
        signal: new ClientGone(),
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      () => undefined,
    );
}

/** A client that takes each write on a later turn, so writes buffer past `highWaterMark`. */
function client(highWaterMark = 1024) {
  const chunks: string[] = [];
  const raw = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString("utf8"));
      setImmediate(done);
    },
  });
  return { raw, text: () => chunks.join("") };
}

const openai = () => createPassthrough("openai", "/v1/chat/completions").stream();

function chunk(content: string): string {
  return `data: {"id":"c1","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}}]}\n\n`;
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
}

/** The answer's source, counting how often the pump held it (a false write) and resumed it. */
function counted(answer: UpstreamAnswer) {
  const counts = { held: 0, resumed: 0 };
  const source: BodySource = {
    forward(sink) {
      const flow = answer.forward!({
        write(piece) {
          const room = sink.write(piece);
          if (!room) counts.held++;
          return room;
        },
        end: () => sink.end(),
        error: (error) => sink.error(error),
      });
      return {
        resume() {
          counts.resumed++;
          flow.resume();
        },
        abort: (error) => flow.abort(error),
      };
    },
  };
  return { source, counts };
}

describe("pumpEvents fed by the call's handler", () => {
  it("reads a streamed answer with no Readable made", async () => {
    const call = await upstream((_req, res) => {
      startStream(res);
      res.end(`${chunk("a")}data: [DONE]\n\n`);
    });
    const answer = await call();
    const made = vi.spyOn(answer, "body", "get");
    const { raw, text } = client();
    expect(await pumpEvents({ raw, body: answerSource(answer), converter: openai() })).toBe("complete");
    await once(raw, "finish");
    expect(text()).toBe(`${chunk("a")}data: [DONE]\n\n`);
    expect(made).not.toHaveBeenCalled();
  });

  // Some 340 kB: more than the handler holds before its sink comes, and than the sockets buffer.
  it("holds the upstream while the client is slow, resumes it on drain, and loses nothing", async () => {
    const sent = Array.from({ length: 4000 }, (_, i) => chunk(`token ${i} `));
    const call = await upstream((_req, res) => {
      startStream(res);
      let next = 0;
      const write = () => {
        while (next < sent.length) {
          if (!res.write(sent[next++])) return void res.once("drain", write);
        }
        res.end("data: [DONE]\n\n");
      };
      write();
    });
    const { source, counts } = counted(await call());
    const { raw, text } = client(64);
    expect(await pumpEvents({ raw, body: source, converter: openai() })).toBe("complete");
    await once(raw, "finish");
    expect(text()).toBe(`${sent.join("")}data: [DONE]\n\n`);
    expect(counts.held).toBeGreaterThan(0);
    expect(counts.resumed).toBeGreaterThan(0);
  });

  it("aborts the upstream request when the client leaves mid-stream", async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      upstreamClosed = resolve;
    });
    const call = await upstream((_req, res) => {
      res.on("close", upstreamClosed);
      startStream(res);
      res.write(chunk("a"));
    });
    const { raw, text } = client();
    const onBroken = vi.fn();
    const pumped = pumpEvents({ raw, body: answerSource(await call()), converter: openai(), onBroken });
    await vi.waitFor(() => expect(text()).toBe(chunk("a")));
    raw.destroy();
    expect(await pumped).toBe("client_gone");
    await closed;
    expect(onBroken).not.toHaveBeenCalled();
  });

  it("lets the upstream go at once when the client left before the stream started", async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      upstreamClosed = resolve;
    });
    const call = await upstream((_req, res) => {
      res.on("close", upstreamClosed);
      startStream(res);
      res.write(chunk("a"));
    });
    const answer = await call();
    const { raw } = client();
    raw.destroy();
    expect(await pumpEvents({ raw, body: answerSource(answer), converter: openai() })).toBe("client_gone");
    await closed;
  });

  it("ends with the error frame, and blames the upstream once, when it breaks mid-stream", async () => {
    const call = await upstream((_req, res) => {
      startStream(res);
      res.write(chunk("a"), () => setImmediate(() => res.socket?.destroy()));
    });
    const { raw, text } = client();
    const onBroken = vi.fn();
    const pumped = pumpEvents({ raw, body: answerSource(await call()), converter: openai(), onBroken });
    expect(await pumped).toBe("upstream_broke");
    await once(raw, "finish");
    expect(onBroken).toHaveBeenCalledOnce();
    expect(text().startsWith(chunk("a"))).toBe(true);
    expect(text()).toContain('"code":"upstream_failed"');
  });

  it("aborts the upstream when it sends an event that never ends", async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      upstreamClosed = resolve;
    });
    const call = await upstream((_req, res) => {
      res.on("close", upstreamClosed);
      startStream(res);
      res.write(`data: ${"x".repeat(MAX_PENDING_SSE_BYTES + 1024)}`);
    });
    const { raw, text } = client(4 * MAX_PENDING_SSE_BYTES);
    const onBroken = vi.fn();
    const pumped = pumpEvents({ raw, body: answerSource(await call()), converter: openai(), onBroken });
    expect(await pumped).toBe("upstream_broke");
    await closed;
    expect(String(onBroken.mock.calls[0]?.[0])).toContain("without completing an event");
    expect(text()).toContain('"code":"upstream_failed"');
  });

  it("goes on from a second upstream answer a recovery hands it when the first breaks", async () => {
    const first = await upstream((_req, res) => {
      startStream(res);
      res.write(chunk("a"), () => setImmediate(() => res.socket?.destroy()));
    });
    const second = await upstream((_req, res) => {
      startStream(res);
      res.end(`${chunk("b")}data: [DONE]\n\n`);
    });
    const closed: string[] = [];
    const errors: Error[] = [];
    const recovery: StreamRecovery = {
      recover: async (error) => {
        errors.push(error);
        return answerSource(await second());
      },
      close: (outcome) => closed.push(outcome),
    };
    const { raw, text } = client();
    const pumped = pumpEvents({ raw, body: answerSource(await first()), converter: openai(), recovery });
    expect(await pumped).toBe("complete");
    await once(raw, "finish");
    expect(text()).toBe(`${chunk("a")}${chunk("b")}data: [DONE]\n\n`);
    expect(errors).toHaveLength(1);
    expect(closed).toEqual(["complete"]);
  });

  it("sends the last frames and the response's end in one socket write", async () => {
    const call = await upstream((_req, res) => {
      startStream(res);
      res.write(chunk("a"), () => setImmediate(() => res.end(`${chunk("b")}data: [DONE]\n\n`)));
    });
    type Writev = (chunks: Array<{ chunk: unknown }>, callback: (error?: Error | null) => void) => void;
    const writes: string[] = [];
    let pumped: Promise<string> | undefined;
    const front = createServer((_request, response) => {
      const socket = response.socket as Socket & { _writev: Writev };
      const writev = socket._writev.bind(socket);
      socket._writev = (chunks, callback) => {
        writes.push(chunks.map(({ chunk: piece }) => String(piece)).join(""));
        writev(chunks, callback);
      };
      response.writeHead(200, { "content-type": "text/event-stream" });
      pumped = call().then((answer) =>
        pumpEvents({ raw: response, body: answerSource(answer), converter: openai() }),
      );
    });
    servers.push(front);
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    const { port } = front.address() as AddressInfo;
    const answered = request({ port, host: "127.0.0.1", method: "GET" }).end();
    const [response] = (await once(answered, "response")) as [NodeJS.ReadableStream];
    let text = "";
    for await (const piece of response) text += String(piece);
    expect(await pumped).toBe("complete");
    expect(text).toBe(`${chunk("a")}${chunk("b")}data: [DONE]\n\n`);
    expect(writes.at(-1)).toMatch(/data: \[DONE\]\n\n\r\n0\r\n\r\n$/);
  });
});
