/**
 * dispatchCall: the upstream call through our own dispatch handler. A collected body is bounded
 * (by declared length and by running count, the call aborted past it), a streamed one arrives whole
 * through a Readable, informational answers are skipped, and the signal and timeouts end the call
 * with undici's own errors.
 */
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { ClientGone } from "../../src/upstream/client-gone.js";
import { type CallOptions, discardBody, dispatchCall } from "../../src/upstream/dispatch-call.js";
import { BodyTooLargeError } from "../../src/upstream/read-bounded.js";

let server: Server | undefined;
let pool: Pool | undefined;

afterEach(async () => {
  await pool?.destroy();
  pool = undefined;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function upstream(listener: RequestListener): Promise<Pool> {
  server = createServer(listener);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  pool = new Pool(`http://127.0.0.1:${port}`);
  return pool;
}

function options(signal = new ClientGone(), timeouts: Partial<CallOptions> = {}): CallOptions {
  return {
    method: "POST",
    path: "/",
    headers: {},
    body: "{}",
    signal,
    headersTimeout: 0,
    bodyTimeout: 0,
    ...timeouts,
  };
}

const collect = (limit: number) => () => limit;
const stream = () => undefined;

describe("dispatchCall", () => {
  it("collects a body whole in the handler, status and headers first", async () => {
    const dispatcher = await upstream((_req, res) => {
      res.writeHead(201, { "content-type": "application/json", "x-seen": "yes" });
      res.write('{"a":');
      res.end("1}");
    });
    const answer = await dispatchCall(dispatcher, options(), collect(1024));
    expect(answer.statusCode).toBe(201);
    expect(answer.headers["x-seen"]).toBe("yes");
    expect((await answer.collected!).toString()).toBe('{"a":1}');
  });

  it("refuses a declared length over the bound before reading it", async () => {
    const dispatcher = await upstream((_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.end("x".repeat(100));
    });
    const answer = await dispatchCall(dispatcher, options(), collect(10));
    const error = await answer.collected!.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect((error as Error).message).toContain("declares 100 bytes");
  });

  it("aborts a chunked body once its running count passes the bound", async () => {
    let closed = false;
    const dispatcher = await upstream((_req, res) => {
      res.on("close", () => {
        closed = true;
      });
      res.writeHead(200);
      // An endless body: only the bound ends the call.
      const write = () => {
        if (!res.destroyed && res.write("y".repeat(4096))) setImmediate(write);
        else if (!res.destroyed) res.once("drain", write);
      };
      write();
    });
    const answer = await dispatchCall(dispatcher, options(), collect(64 * 1024));
    await expect(answer.collected).rejects.toBeInstanceOf(BodyTooLargeError);
    await expect.poll(() => closed).toBe(true);
  });

  it("streams a large body through a Readable, byte for byte", async () => {
    const piece = Buffer.alloc(64 * 1024, 7);
    const pieces = 64;
    const dispatcher = await upstream((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      let sent = 0;
      const write = () => {
        while (sent < pieces) {
          sent++;
          if (!res.write(piece)) return void res.once("drain", write);
        }
        res.end();
      };
      write();
    });
    const answer = await dispatchCall(dispatcher, options(), stream);
    expect(answer.collected).toBeUndefined();
    let total = 0;
    for await (const chunk of answer.body) total += (chunk as Buffer).length;
    expect(total).toBe(piece.length * pieces);
  });

  it("forwards a streamed body to a sink, holding the socket while the sink is full", async () => {
    const piece = Buffer.alloc(16 * 1024, 3);
    const pieces = 32;
    const dispatcher = await upstream((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (let sent = 0; sent < pieces; sent++) res.write(piece);
      res.end();
    });
    const answer = await dispatchCall(dispatcher, options(), stream);
    let total = 0;
    let full = 0;
    const ended = new Promise<void>((resolve, reject) => {
      const flow = answer.forward!({
        write(chunk) {
          total += chunk.length;
          // Full every other chunk: the flow must be resumed for the rest to come.
          if (++full % 2 === 0) return true;
          setImmediate(() => flow.resume());
          return false;
        },
        end: resolve,
        error: reject,
      });
    });
    await ended;
    expect(total).toBe(piece.length * pieces);
  });

  it("aborts a forwarded body when its sink goes away", async () => {
    let closed = false;
    const dispatcher = await upstream((_req, res) => {
      res.on("close", () => {
        closed = true;
      });
      res.writeHead(200);
      res.write("first");
    });
    const answer = await dispatchCall(dispatcher, options(), stream);
    const errors: Error[] = [];
    const flow = answer.forward!({ write: () => true, end: () => {}, error: (error) => errors.push(error) });
    flow.abort();
    await expect.poll(() => closed).toBe(true);
    expect(errors).toEqual([]);
  });

  it("skips an informational answer", async () => {
    const dispatcher = await upstream((_req, res) => {
      res.writeEarlyHints({ link: "</x>; rel=preload" });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
    const answer = await dispatchCall(dispatcher, options(), collect(1024));
    expect(answer.statusCode).toBe(200);
    expect((await answer.collected!).toString()).toBe("{}");
  });

  it("rejects with undici's abort error when the signal fires before the answer", async () => {
    const dispatcher = await upstream(() => {
      // Never answers.
    });
    const signal = new ClientGone();
    const call = dispatchCall(dispatcher, options(signal), stream);
    setImmediate(() => signal.abort());
    await expect(call).rejects.toMatchObject({ code: "UND_ERR_ABORTED" });
  });

  it("refuses at once a signal fired already", async () => {
    const dispatcher = await upstream((_req, res) => res.end());
    const signal = new ClientGone();
    signal.abort();
    await expect(dispatchCall(dispatcher, options(signal), stream)).rejects.toMatchObject({
      code: "UND_ERR_ABORTED",
    });
  });

  it("errors a streamed body when the signal fires during it", async () => {
    const dispatcher = await upstream((_req, res) => {
      res.writeHead(200);
      res.write("first");
    });
    const signal = new ClientGone();
    const answer = await dispatchCall(dispatcher, options(signal), stream);
    const failed = new Promise((resolve) => answer.body.once("error", resolve));
    answer.body.once("data", () => signal.abort());
    answer.body.resume();
    expect(await failed).toMatchObject({ code: "UND_ERR_ABORTED" });
  });

  it("ends the wait for headers with undici's headers timeout", async () => {
    const dispatcher = await upstream(() => {
      // Never answers.
    });
    await expect(
      dispatchCall(dispatcher, options(new ClientGone(), { headersTimeout: 50 }), stream),
    ).rejects.toMatchObject({ code: "UND_ERR_HEADERS_TIMEOUT" });
  });

  it("fails a collected body that falls silent with undici's body timeout", async () => {
    const dispatcher = await upstream((_req, res) => {
      res.writeHead(200);
      res.write("{");
    });
    const answer = await dispatchCall(
      dispatcher,
      options(new ClientGone(), { bodyTimeout: 50 }),
      collect(1024),
    );
    await expect(answer.collected).rejects.toMatchObject({ code: "UND_ERR_BODY_TIMEOUT" });
  });

  it("discards a body nobody wants, collected or streamed", async () => {
    const dispatcher = await upstream((_req, res) => {
      res.writeHead(401);
      res.end("no");
    });
    await discardBody(await dispatchCall(dispatcher, options(), collect(1024)));
    const streamed = await dispatchCall(dispatcher, options(), stream);
    await discardBody(streamed);
    expect(streamed.body.readableEnded || streamed.body.destroyed).toBe(true);
  });
});
