/**
 * A server's GOAWAY on an HTTP/2 connection to a backend. undici 7 treats any GOAWAY as a broken
 * connection and cuts every stream on it (nodejs/undici#5089); `H2Clients` swaps its listener so
 * that a graceful one (NO_ERROR) lets the streams the server will still finish run to their end,
 * sends no new stream on that connection, and opens another for new requests. Streams above the
 * GOAWAY's last stream id were refused by the server (never processed): they fail, and the gateway
 * retries them elsewhere like any failure before the first byte. A GOAWAY with an error code keeps
 * undici's handling: every stream on the connection is cut.
 */
import { once } from "node:events";
import {
  constants,
  createSecureServer,
  type Http2SecureServer,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from "node:http2";
import type { Dispatcher } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { selfSignedCertificate, type TestCertificate } from "../../bench/tls-cert.js";
import { classifyUpstreamError } from "../../src/upstream/errors.js";
import { UpstreamPools } from "../../src/upstream/pools.js";
import { eventually } from "../helpers/http.js";

let certificate: TestCertificate;
beforeAll(() => {
  certificate = selfSignedCertificate();
});

interface GoAwayServer {
  origin: string;
  /** Streams the server holds: `/held` ones after their headers and first chunk, `/silent` ones before any. */
  held: ServerHttp2Stream[];
  connections: () => number;
  close: () => Promise<void>;
}

async function startServer(): Promise<GoAwayServer> {
  const held: ServerHttp2Stream[] = [];
  let connections = 0;
  const server: Http2SecureServer = createSecureServer({ key: certificate.key, cert: certificate.cert });
  const sessions = new Set<ServerHttp2Session>();
  server.on("secureConnection", () => connections++);
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  server.on("stream", (stream, headers) => {
    // A stream the server refused by its GOAWAY errors on the server side too.
    stream.on("error", () => undefined);
    const path = headers[":path"];
    if (path === "/held") {
      stream.respond({ ":status": 200 });
      stream.write("first;");
      held.push(stream);
    } else if (path === "/silent") held.push(stream);
    else {
      stream.respond({ ":status": 200 });
      stream.end("fast");
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    origin: `https://localhost:${port}`,
    held,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});
afterAll(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function setUp(): Promise<{ server: GoAwayServer; dispatcher: Dispatcher; pools: UpstreamPools }> {
  const server = await startServer();
  const pools = new UpstreamPools({
    connectTimeoutMs: 5_000,
    http2Streams: 100,
    connections: 1024,
    tls: { ca: certificate.cert },
  });
  closers.push(
    () => pools.closeAll(),
    () => server.close(),
  );
  const dispatcher = pools.for(server.origin);
  const warm = await dispatcher.request({ method: "POST", path: "/fast", body: "x" });
  expect(await warm.body.text()).toBe("fast");
  return { server, dispatcher, pools };
}

/** The client heard the GOAWAY: its connection left the set (a request sent before that races it). */
const heard = (pools: UpstreamPools, server: GoAwayServer) =>
  eventually(() => pools.figures(server.origin).connected === 0);

const settle = (promise: Promise<string>) =>
  promise.then(
    (text) => ({ text }),
    (error: { code?: string; message?: string }) => ({ error }),
  );

/** Two streams in flight on one connection: one answering (headers and a first chunk), one not yet. */
async function twoInFlight(server: GoAwayServer, dispatcher: Dispatcher) {
  const answering = await dispatcher.request({ method: "POST", path: "/held", body: "x" });
  const answered = settle(answering.body.text());
  const silent = settle(
    dispatcher
      .request({ method: "POST", path: "/silent", body: "x" })
      .then((response) => response.body.text()),
  );
  await eventually(() => server.held.length === 2);
  return { answered, silent };
}

function finishHeld(server: GoAwayServer): void {
  for (const stream of server.held) {
    if (stream.destroyed) continue;
    if (!stream.headersSent) stream.respond({ ":status": 200 });
    stream.end("rest");
  }
}

const fast = async (dispatcher: Dispatcher) =>
  (await dispatcher.request({ method: "POST", path: "/fast", body: "x" })).body.text();

describe("a graceful GOAWAY (NO_ERROR)", () => {
  it("lets the streams in flight finish, and new requests go out on a new connection", async () => {
    const { server, dispatcher, pools } = await setUp();
    const { answered, silent } = await twoInFlight(server, dispatcher);
    // Node's graceful close: GOAWAY with NO_ERROR and the last stream the server took.
    server.held[0]!.session!.close();
    await heard(pools, server);
    // The streams still run on the draining connection.
    expect(pools.figures(server.origin).running).toBe(2);
    expect(await fast(dispatcher)).toBe("fast");
    expect(server.connections()).toBe(2);
    finishHeld(server);
    expect(await answered).toEqual({ text: "first;rest" });
    expect(await silent).toEqual({ text: "rest" });
  });

  it("fails only the streams above its last stream id, which the server refused (retried by the gateway)", async () => {
    const { server, dispatcher, pools } = await setUp();
    const { answered, silent } = await twoInFlight(server, dispatcher);
    const [first] = server.held;
    first!.session!.goaway(constants.NGHTTP2_NO_ERROR, first!.id!);
    await heard(pools, server);
    expect(await fast(dispatcher)).toBe("fast");
    finishHeld(server);
    expect(await answered).toEqual({ text: "first;rest" });
    const refused = await silent;
    expect(refused).toMatchObject({ error: { code: "ERR_HTTP2_STREAM_ERROR" } });
    expect((refused as { error: { message: string } }).error.message).toContain("REFUSED_STREAM");
    // Not a connection failure (that would mark the backend unreachable): an ordinary retryable one.
    expect(classifyUpstreamError((refused as { error: unknown }).error)).toBe("other");
  });
});

describe("a GOAWAY with an error code", () => {
  it("cuts every stream on the connection, as undici does, and new requests still get through", async () => {
    const { server, dispatcher } = await setUp();
    const { answered, silent } = await twoInFlight(server, dispatcher);
    server.held[0]!.session!.goaway(constants.NGHTTP2_INTERNAL_ERROR, server.held[1]!.id!);
    // The code is Node's session error or undici's socket error, whichever reaches the stream first.
    expect(await answered).toHaveProperty("error");
    expect(await silent).toHaveProperty("error");
    expect(await fast(dispatcher)).toBe("fast");
  });
});
