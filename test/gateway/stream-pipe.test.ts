/**
 * forwardBody on in-process streams: a PassThrough stands for the upstream body, a Writable that
 * takes each write on a later turn for the client.
 */
import { once } from "node:events";
import { createServer, request } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { PassThrough, Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { forwardBody } from "../../src/gateway/stream-pipe.js";

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
