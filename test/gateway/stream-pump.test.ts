/**
 * The one SSE pump, on in-process streams: a PassThrough stands for the upstream body, a Writable for
 * the client. No sockets, no timers as synchronisation.
 */
import { once } from "node:events";
import { PassThrough, type Readable, Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { MAX_PENDING_SSE_BYTES, pumpEvents, type StreamRecovery } from "../../src/gateway/stream-pump.js";
import { createPassthrough } from "../../src/protocol/translate/passthrough.js";
import type { StreamConverter } from "../../src/protocol/translate/translator.js";

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

describe("pumpEvents", () => {
  it("writes each converted event and settles complete when the upstream ends", async () => {
    const { raw, text } = client();
    const body = new PassThrough();
    const pumped = pumpEvents({ raw, body, converter: openai() });
    body.write(chunk("a"));
    body.end(`${chunk("b")}data: [DONE]\n\n`);
    expect(await pumped).toBe("complete");
    await once(raw, "finish");
    expect(text()).toBe(`${chunk("a")}${chunk("b")}data: [DONE]\n\n`);
  });

  it("pauses the upstream while the client is slow, and loses nothing", async () => {
    const { raw, text } = client(64);
    const body = new PassThrough();
    const pause = vi.spyOn(body, "pause");
    const pumped = pumpEvents({ raw, body, converter: openai() });
    const sent = Array.from({ length: 200 }, (_, i) => chunk(`token ${i} `));
    body.end(sent.join(""));
    expect(await pumped).toBe("complete");
    await once(raw, "finish");
    expect(pause).toHaveBeenCalled();
    expect(text()).toBe(sent.join(""));
  });

  it("counts an event that never ends as a broken upstream", async () => {
    const { raw, text } = client();
    const body = new PassThrough();
    const onBroken = vi.fn();
    const pumped = pumpEvents({ raw, body, converter: openai(), onBroken });
    body.write(chunk("a"));
    body.write(`data: ${"x".repeat(MAX_PENDING_SSE_BYTES)}`);
    expect(await pumped).toBe("upstream_broke");
    await once(raw, "finish");
    expect(body.destroyed).toBe(true);
    expect(String(onBroken.mock.calls[0]?.[0])).toContain("without completing an event");
    expect(text().startsWith(chunk("a"))).toBe(true);
    expect(text()).toContain('"code":"upstream_failed"');
  });

  it("cuts a stream of complete events once its bytes pass maxBytes, as a broken upstream", async () => {
    const { raw, text } = client(1024 * 1024);
    const body = new PassThrough();
    const onBroken = vi.fn();
    const limit = 64 * 1024;
    const pumped = pumpEvents({ raw, body, converter: openai(), onBroken, maxBytes: limit });
    const event = chunk("x".repeat(1000));
    let sent = 0;
    while (sent <= 2 * limit && !body.destroyed) {
      body.write(event);
      sent += event.length;
    }
    expect(await pumped).toBe("upstream_broke");
    await once(raw, "finish");
    expect(body.destroyed).toBe(true);
    expect(String(onBroken.mock.calls[0]?.[0])).toContain("max_upstream_body_bytes");
    expect(text().length).toBeLessThan(limit + 2 * event.length);
    expect(text()).toContain('"code":"upstream_failed"');
  });

  it("drops the upstream when the client goes", async () => {
    const { raw } = client();
    const body = new PassThrough();
    const onBroken = vi.fn();
    const pumped = pumpEvents({ raw, body, converter: openai(), onBroken });
    body.write(chunk("a"));
    raw.destroy();
    expect(await pumped).toBe("client_gone");
    expect(body.destroyed).toBe(true);
    expect(onBroken).not.toHaveBeenCalled();
  });

  it("ends a broken stream with the converter's error frame when nothing recovers it", async () => {
    const { raw, text } = client();
    const body = new PassThrough();
    const onBroken = vi.fn();
    const pumped = pumpEvents({
      raw,
      body,
      converter: createPassthrough("anthropic", "/v1/messages").stream(),
      onBroken,
    });
    body.write('event: message_start\ndata: {"type":"message_start"}\n\n');
    body.destroy(new Error("connection reset"));
    expect(await pumped).toBe("upstream_broke");
    await once(raw, "finish");
    expect(onBroken).toHaveBeenCalledOnce();
    expect(text()).toBe(
      'event: message_start\ndata: {"type":"message_start"}\n\n' +
        'event: error\ndata: {"type":"error","error":{"type":"api_error",' +
        '"message":"The backend failed mid-stream: connection reset"}}\n\n',
    );
  });

  it("goes on from the body a recovery hands it, and tells the recovery how it ended", async () => {
    const { raw, text } = client();
    const first = new PassThrough();
    const second = new PassThrough();
    const closed: string[] = [];
    let asked!: (error: Error) => void;
    const askedFor = new Promise<Error>((resolve) => {
      asked = resolve;
    });
    const recovery: StreamRecovery = {
      recover: async (error): Promise<Readable> => {
        asked(error);
        return second;
      },
      close: (outcome) => closed.push(outcome),
    };
    const onBroken = vi.fn();
    const pumped = pumpEvents({ raw, body: first, converter: openai(), recovery, onBroken });
    first.write(chunk("a"));
    first.destroy(new Error("reset"));
    expect((await askedFor).message).toBe("reset");
    second.end(`${chunk("b")}data: [DONE]\n\n`);
    expect(await pumped).toBe("complete");
    await once(raw, "finish");
    expect(text()).toBe(`${chunk("a")}${chunk("b")}data: [DONE]\n\n`);
    expect(closed).toEqual(["complete"]);
    // The recovery blames upstreams itself.
    expect(onBroken).not.toHaveBeenCalled();
  });

  it("ends the stream with a 502 when the converter throws, without blaming the upstream", async () => {
    const { raw, text } = client();
    const body = new PassThrough();
    const onBroken = vi.fn();
    const top = openai();
    const converter: StreamConverter = {
      event: () => {
        throw new Error("unreadable");
      },
      end: () => top.end(),
      fail: (status, message) => top.fail(status, message),
    };
    const pumped = pumpEvents({ raw, body, converter, onBroken });
    body.write(chunk("a"));
    expect(await pumped).toBe("upstream_broke");
    await once(raw, "finish");
    expect(body.destroyed).toBe(true);
    expect(onBroken).not.toHaveBeenCalled();
    expect(text()).toContain("could not convert the backend's stream: unreadable");
  });

  it("reports usage from the upstream's events", async () => {
    const { raw } = client();
    const body = new PassThrough();
    const onUsage = vi.fn();
    const pumped = pumpEvents({ raw, body, converter: openai(), onUsage });
    body.end(
      `${chunk("a")}data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}\n\ndata: [DONE]\n\n`,
    );
    await pumped;
    expect(onUsage).toHaveBeenCalledExactlyOnceWith({ prompt: 7, completion: 3 });
  });
});
