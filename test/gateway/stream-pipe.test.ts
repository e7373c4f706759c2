/**
 * forwardBody and AnswerPipe on in-process streams: a PassThrough (or a hand-driven sink, as the
 * call's handler drives one) stands for the upstream body, a Writable that takes each write on a
 * later turn for the client.
 */
import { once } from "node:events";
import { createServer, request } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { PassThrough, Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { AnswerPipe, forwardBody } from "../../src/gateway/stream-pipe.js";
import type { BodyFlow, BodySink } from "../../src/upstream/dispatch-call.js";

type Writev = (chunks: Array<{ chunk: unknown }>, callback: (error?: Error | null) => void) => void;

function client(highWaterMark = 1024) {
  const chunks: Buffer[] = [];
  const raw = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      setImmediate(done);
    },
  });
  return { raw, bytes: () => Buffer.concat(chunks) };
}

describe("forwardBody", () => {
  it("writes every byte in order and ends the client's response when the body ends", async () => {
    const { raw, bytes } = client();
    const body = new PassThrough();
    forwardBody(body, raw, {});
    body.write("data: a\n\n");
    body.end("data: b\n\n");
    await once(raw, "finish");
    expect(bytes().toString()).toBe("data: a\n\ndata: b\n\n");
  });

  it("pauses the body while the client is slow, and loses nothing", async () => {
    const { raw, bytes } = client(16);
    const body = new PassThrough();
    const pause = vi.spyOn(body, "pause");
    forwardBody(body, raw, {});
    const sent = Array.from({ length: 100 }, (_, i) => `data: token ${i}\n\n`);
    for (const piece of sent) body.write(piece);
    body.end();
    await once(raw, "finish");
    expect(pause).toHaveBeenCalled();
    expect(bytes().toString()).toBe(sent.join(""));
  });

  it("tells the taps each chunk and the usage a chunk carries", async () => {
    const { raw } = client();
    const body = new PassThrough();
    const onUsage = vi.fn();
    const onChunk = vi.fn();
    forwardBody(body, raw, { onUsage, onChunk });
    body.write('data: {"usage":null}\n\n');
    body.end('data: {"usage":{"prompt_tokens":3,"completion_tokens":5}}\n\n');
    await once(raw, "finish");
    expect(onUsage).toHaveBeenCalledTimes(1);
    expect(onUsage).toHaveBeenCalledWith({ prompt: 3, completion: 5 });
    expect(onChunk.mock.calls.map(([chunk]) => String(chunk)).join("")).toContain("completion_tokens");
  });

  it("sends an HTTP/1 stream's last chunk and its end in one socket write", async () => {
    const writes: string[] = [];
    const body = new PassThrough();
    const server = createServer((_request, response) => {
      const socket = response.socket as Socket & { _writev: Writev };
      const writev = socket._writev.bind(socket);
      socket._writev = (chunks, callback) => {
        writes.push(chunks.map(({ chunk }) => String(chunk)).join(""));
        writev(chunks, callback);
      };
      response.writeHead(200, { "content-type": "text/event-stream" });
      forwardBody(body, response, {});
      body.write("data: a\n\n");
      // As undici ends a body: its last chunk and its end in one turn, the end a tick later.
      setImmediate(() => body.end("data: b\n\n"));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const answer = request({ port, host: "127.0.0.1", method: "GET" }).end();
      const [response] = (await once(answer, "response")) as [NodeJS.ReadableStream];
      let text = "";
      for await (const piece of response) text += String(piece);
      expect(text).toBe("data: a\n\ndata: b\n\n");
      expect(writes.at(-1)).toMatch(/data: b\n\n\r\n0\r\n\r\n$/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

/** An answer whose body is handed to its sink by hand, as dispatch-call.ts's handler does. */
function handDriven() {
  let sink: BodySink | undefined;
  const flow = { resumed: 0, aborted: 0 };
  const answer = {
    forward(to: BodySink): BodyFlow {
      sink = to;
      return { resume: () => void flow.resumed++, abort: () => void flow.aborted++ };
    },
  };
  return { answer, flow, sink: () => sink! };
}

describe("AnswerPipe", () => {
  it("writes and ends within forward a body that had ended before it came, and says so", () => {
    const { raw, bytes } = client();
    const pipe = new AnswerPipe(raw, {});
    pipe.forward({
      forward(sink) {
        sink.write(Buffer.from("data: a\n\n"));
        sink.end();
        return { resume() {}, abort() {} };
      },
    });
    expect(pipe.ended).toBe(true);
    expect(raw.writableEnded).toBe(true);
    expect(raw.listenerCount("drain")).toBe(0);
    return once(raw, "finish").then(() => expect(bytes().toString()).toBe("data: a\n\n"));
  });

  it("holds the flow while the client is full and resumes it on drain", async () => {
    const { raw, bytes } = client(16);
    const pipe = new AnswerPipe(raw, {});
    const { answer, flow, sink } = handDriven();
    pipe.forward(answer);
    const sent = Array.from({ length: 20 }, (_, i) => `data: token ${i}\n\n`);
    const rooms = sent.map((piece) => sink().write(Buffer.from(piece)));
    expect(rooms).toContain(false);
    // One wait for one drain, however many writes found the client full.
    expect(raw.listenerCount("drain")).toBe(1);
    await once(raw, "drain");
    expect(flow.resumed).toBe(1);
    sink().end();
    await once(raw, "finish");
    expect(bytes().toString()).toBe(sent.join(""));
  });

  it("keeps a failure told during forward for the caller, and hands a later one to onError", () => {
    const { raw } = client();
    const early = new AnswerPipe(raw, {});
    early.forward({
      forward(sink) {
        sink.error(new Error("reset"));
        return { resume() {}, abort() {} };
      },
    });
    expect(early.failure?.message).toBe("reset");
    const later = new AnswerPipe(raw, {});
    const { answer, sink } = handDriven();
    later.forward(answer);
    const told: Error[] = [];
    later.onError = (error) => told.push(error);
    sink().error(new Error("gone"));
    expect(told.map((error) => error.message)).toEqual(["gone"]);
    expect(later.failure).toBeUndefined();
  });

  it("tells the taps each chunk and the usage it carries", () => {
    const { raw } = client();
    const onUsage = vi.fn();
    const onChunk = vi.fn();
    const pipe = new AnswerPipe(raw, { onUsage, onChunk });
    const { answer, sink } = handDriven();
    pipe.forward(answer);
    sink().write(Buffer.from('data: {"usage":{"prompt_tokens":3,"completion_tokens":5}}\n\n'));
    expect(onUsage).toHaveBeenCalledExactlyOnceWith({ prompt: 3, completion: 5 });
    expect(onChunk).toHaveBeenCalledOnce();
  });

  it("sends an HTTP/1 stream's last chunk and its end in one socket write", async () => {
    const writes: string[] = [];
    const { answer, sink } = handDriven();
    const server = createServer((_request, response) => {
      const socket = response.socket as Socket & { _writev: Writev };
      const writev = socket._writev.bind(socket);
      socket._writev = (chunks, callback) => {
        writes.push(chunks.map(({ chunk }) => String(chunk)).join(""));
        writev(chunks, callback);
      };
      response.writeHead(200, { "content-type": "text/event-stream" });
      new AnswerPipe(response, {}).forward(answer);
      sink().write(Buffer.from("data: a\n\n"));
      // As undici's handler is told a read's last chunk and the end: in one turn.
      setImmediate(() => {
        sink().write(Buffer.from("data: b\n\n"));
        sink().end();
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const answered = request({ port, host: "127.0.0.1", method: "GET" }).end();
      const [response] = (await once(answered, "response")) as [NodeJS.ReadableStream];
      let text = "";
      for await (const piece of response) text += String(piece);
      expect(text).toBe("data: a\n\ndata: b\n\n");
      expect(writes.at(-1)).toMatch(/data: b\n\n\r\n0\r\n\r\n$/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
