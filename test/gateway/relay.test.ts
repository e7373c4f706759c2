/**
 * routingParts: `_routing` spliced into a JSON object as chunks written one after another, views of
 * the body rather than a copy of it; sendJson: the answer as the client reads it, short (joined into
 * one buffer) or long (written as views), with its length.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Dispatcher } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { routingParts, sendJson } from "../../src/gateway/relay.js";

const routing = Buffer.from('{"node":"a"}');
const joined = (body: string) => Buffer.concat(routingParts(Buffer.from(body), routing)).toString();

describe("routingParts", () => {
  it("adds _routing as the object's last field", () => {
    expect(JSON.parse(joined('{"id":"x"}\n'))).toEqual({ id: "x", _routing: { node: "a" } });
    expect(JSON.parse(joined("{ }"))).toEqual({ _routing: { node: "a" } });
  });

  it("leaves anything but an object as it is", () => {
    expect(joined("[1,2]")).toBe("[1,2]");
    expect(joined("not json")).toBe("not json");
  });

  it("shares the body's memory instead of copying it", () => {
    const body = Buffer.from('{"id":"x"}');
    const [head] = routingParts(body, routing);
    expect(head!.buffer).toBe(body.buffer);
  });
});

describe("sendJson", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** What a client reads when sendJson answers it with `body` and `_routing` (status 200). */
  async function answered(body: string): Promise<{ text: string; length: string | null }> {
    server = createServer((_request, raw) => {
      const response = {
        statusCode: 200,
        headers: { "content-type": "application/json" },
      } as unknown as Dispatcher.ResponseData;
      void sendJson(
        { raw, response, headers: { "x-routed-node": "a" }, body: Buffer.from(body), routing },
        "openai",
      );
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const reply = await fetch(`http://127.0.0.1:${port}/`);
    expect(reply.headers.get("x-routed-node")).toBe("a");
    return { text: await reply.text(), length: reply.headers.get("content-length") };
  }

  it("sends a short answer with _routing spliced in and its length", async () => {
    const { text, length } = await answered('{"id":"x"}');
    expect(JSON.parse(text)).toEqual({ id: "x", _routing: { node: "a" } });
    expect(Number(length)).toBe(Buffer.byteLength(text));
  });

  it("sends a long answer (past the join limit) whole, with _routing and its length", async () => {
    const content = "é".repeat(70_000);
    const { text, length } = await answered(JSON.stringify({ id: "y", content }));
    expect(JSON.parse(text)).toEqual({ id: "y", content, _routing: { node: "a" } });
    expect(Number(length)).toBe(Buffer.byteLength(text));
  });
});
