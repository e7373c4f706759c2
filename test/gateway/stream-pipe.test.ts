/**
 * forwardBody on in-process streams: a PassThrough stands for the upstream body, a Writable that
 * takes each write on a later turn for the client.
 */
import { once } from "node:events";
import { PassThrough, Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { forwardBody } from "../../src/gateway/stream-pipe.js";

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
});
