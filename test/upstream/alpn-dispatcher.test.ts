/**
 * HTTP/2 to upstreams that offer it: one TLS handshake learns the protocol while a cold burst
 * waits, streams share few connections, HTTP/1.1 TLS and plain http origins keep their pool, an
 * origin that stops offering h2 is relearnt without a reconnect storm, and the address policy
 * still refuses what it refused. TLS servers use a certificate made by openssl at test time.
 */
import { once } from "node:events";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createServer as createTcpServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { Pool } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { selfSignedCertificate, type TestCertificate } from "../../bench/tls-cert.js";
import { AddressPolicy } from "../../src/upstream/address-policy.js";
import { AlpnDispatcher, H2OfferedError } from "../../src/upstream/alpn-dispatcher.js";
import { classifyUpstreamError } from "../../src/upstream/errors.js";
import { H2WithdrawnError } from "../../src/upstream/h2-clients.js";
import { UpstreamPools } from "../../src/upstream/pools.js";
import { eventually } from "../helpers/http.js";

let certificate: TestCertificate;
beforeAll(() => {
  certificate = selfSignedCertificate();
});

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  releaseHeld.length = 0;
  await Promise.all(closers.splice(0).map((close) => close()));
});
afterAll(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function pools(streams = 100, connections = 1024): UpstreamPools {
  const result = new UpstreamPools({
    connectTimeoutMs: 5_000,
    http2Streams: streams,
    connections,
    tls: { ca: certificate.cert },
  });
  closers.push(() => result.closeAll());
  return result;
}

function portOf(server: Server | Http2SecureServer | HttpsServer): number {
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
}

/**
 * A TLS server that holds every request until `hold` of them are open at once (so they must be
 * concurrent), then answers each with its protocol. Counts the TLS connections it accepted.
 */
interface Backend {
  port: number;
  connections: () => number;
  /** Drops every open connection, as a restarted origin would. */
  dropConnections: () => void;
}

type Handler = (
  request: { httpVersion: string },
  response: { end: (body: string) => void; writeHead: (status: number) => void },
) => void;

/** Answers everything the holding handlers hold now (their `hold()` must say 1 from then on). */
const releaseHeld: (() => void)[] = [];

function holdingHandler(hold: () => number): Handler {
  let waiting: (() => void)[] = [];
  const release = () => {
    const ready = waiting;
    waiting = [];
    for (const answer of ready) answer();
  };
  releaseHeld.push(release);
  return (request, response) => {
    waiting.push(() => {
      response.writeHead(200);
      response.end(`HTTP/${request.httpVersion}`);
    });
    if (waiting.length >= hold()) release();
  };
}

async function listen(
  server: Http2SecureServer | HttpsServer,
  connectionEvent: "secureConnection",
): Promise<Backend> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  server.on(connectionEvent, (socket: Socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    port: portOf(server),
    connections: () => accepted,
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}

function h2Backend(hold: () => number = () => 1, maxConcurrentStreams?: number): Promise<Backend> {
  const settings = maxConcurrentStreams === undefined ? {} : { settings: { maxConcurrentStreams } };
  const server = createSecureServer({ ...certificate, ...settings, allowHTTP1: false }, holdingHandler(hold));
  return listen(server, "secureConnection");
}

function h1Backend(hold: () => number = () => 1): Promise<Backend> {
  const server = createHttpsServer({ ...certificate }, holdingHandler(hold));
  return listen(server, "secureConnection");
}

/** A TCP proxy whose target can be switched; connections already made stay where they are. */
async function switchingProxy(target: number): Promise<{ port: number; switchTo: (port: number) => void }> {
  let current = target;
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = tcpConnect(current, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: portOf(server), switchTo: (port) => (current = port) };
}

async function get(pools: UpstreamPools, origin: string): Promise<string> {
  const response = await pools.for(origin).request({ method: "POST", path: "/", body: "{}" });
  return response.body.text();
}

describe("AlpnDispatcher", () => {
  it("sends a cold burst of 60 requests over one h2 connection, learnt with one handshake", async () => {
    const burst = 60;
    const backend = await h2Backend(() => burst);
    const upstream = pools();
    const origin = `https://localhost:${backend.port}`;
    const answers = await Promise.all(Array.from({ length: burst }, () => get(upstream, origin)));
    expect(answers.every((answer) => answer === "HTTP/2.0")).toBe(true);
    expect(backend.connections()).toBe(1);
    expect(upstream.figures(origin)).toMatchObject({ protocol: "h2", connected: 1, queued: 0, running: 0 });
  });

  it("carries 250 concurrent streams on at most 3 connections", async () => {
    const streams = 250;
    const backend = await h2Backend(() => streams);
    const upstream = pools(100);
    const origin = `https://127.0.0.1:${backend.port}`;
    const answers = await Promise.all(Array.from({ length: streams }, () => get(upstream, origin)));
    expect(answers.filter((answer) => answer === "HTTP/2.0")).toHaveLength(streams);
    expect(backend.connections()).toBeLessThanOrEqual(3);
    expect((upstream.for(origin) as AlpnDispatcher).h2Connections).toBeLessThanOrEqual(3);
  });

  it("honours a server's lower SETTINGS_MAX_CONCURRENT_STREAMS once a connection learnt it", async () => {
    let hold = 10;
    const backend = await h2Backend(() => hold, 10);
    const upstream = pools(100);
    const origin = `https://localhost:${backend.port}`;
    await Promise.all(Array.from({ length: 10 }, () => get(upstream, origin)));
    hold = 30;
    // 30 held at once on a server taking 10 per connection: only three connections can carry them.
    const answers = await Promise.all(Array.from({ length: 30 }, () => get(upstream, origin)));
    expect(answers.every((answer) => answer === "HTTP/2.0")).toBe(true);
    expect(backend.connections()).toBe(3);
  });

  it("opens at most upstream_connections h2 connections; requests beyond wait visibly", async () => {
    let hold = 1_000;
    const backend = await h2Backend(() => hold);
    const upstream = pools(10, 2);
    const origin = `https://localhost:${backend.port}`;
    const answers = Promise.all(Array.from({ length: 30 }, () => get(upstream, origin)));
    await eventually(() => upstream.figures(origin).running === 20, 5_000, 10);
    expect(upstream.figures(origin)).toMatchObject({ queued: 10, connected: 2 });
    hold = 1;
    for (const release of releaseHeld) release();
    // The queued ten follow on the two connections.
    expect((await answers).every((answer) => answer === "HTTP/2.0")).toBe(true);
    expect(backend.connections()).toBe(2);
  });

  it("uses an HTTP/1.1 pool for a TLS origin without h2: one request per connection", async () => {
    const concurrent = 5;
    const backend = await h1Backend(() => concurrent);
    const upstream = pools();
    const origin = `https://localhost:${backend.port}`;
    const answers = await Promise.all(Array.from({ length: concurrent }, () => get(upstream, origin)));
    expect(answers.every((answer) => answer === "HTTP/1.1")).toBe(true);
    // The learning connection became the first of the pool's: no extra handshake.
    expect(backend.connections()).toBe(concurrent);
    expect(upstream.figures(origin)).toMatchObject({ protocol: "http/1.1", connected: concurrent });
  });

  it("keeps plain http origins, and every origin with upstream_http2 off, on an HTTP/1.1 Pool", () => {
    expect(pools().for("http://127.0.0.1:9")).toBeInstanceOf(Pool);
    const off = new UpstreamPools({ connectTimeoutMs: 1_000, http2: false });
    closers.push(() => off.closeAll());
    expect(off.for("https://127.0.0.1:9")).toBeInstanceOf(Pool);
    expect(pools().for("https://127.0.0.1:9")).toBeInstanceOf(AlpnDispatcher);
  });

  it("relearns when the origin stops offering h2, without a reconnect storm", async () => {
    const h2 = await h2Backend();
    const h1 = await h1Backend();
    const proxy = await switchingProxy(h2.port);
    const upstream = pools();
    const origin = `https://localhost:${proxy.port}`;
    expect(await Promise.all([get(upstream, origin), get(upstream, origin)])).toEqual([
      "HTTP/2.0",
      "HTTP/2.0",
    ]);
    proxy.switchTo(h1.port);
    h2.dropConnections();
    await eventually(() => upstream.figures(origin).connected === 0, 5_000, 10);
    // The h2 client reconnects, meets http/1.1, and its requests go through relearning.
    const after = await Promise.all(Array.from({ length: 10 }, () => get(upstream, origin)));
    expect(after.every((answer) => answer === "HTTP/1.1")).toBe(true);
    const dispatcher = upstream.for(origin) as AlpnDispatcher;
    expect(dispatcher.protocol).toBe("http/1.1");
    expect(dispatcher.learnt).toBe(2);
    // One refused h2 reconnection, one learning handshake (kept), at most ten pool connections.
    expect(h1.connections()).toBeLessThanOrEqual(12);
    expect(h2.connections()).toBe(1);
  });

  it("moves an origin learnt as HTTP/1.1 to h2 when a new connection negotiates it", async () => {
    const h1 = await h1Backend();
    const h2 = await h2Backend();
    const proxy = await switchingProxy(h1.port);
    const upstream = pools();
    const origin = `https://localhost:${proxy.port}`;
    expect(await Promise.all([get(upstream, origin), get(upstream, origin)])).toEqual([
      "HTTP/1.1",
      "HTTP/1.1",
    ]);
    proxy.switchTo(h2.port);
    h1.dropConnections();
    await eventually(() => upstream.figures(origin).connected === 0, 5_000, 10);
    const after = await Promise.all(Array.from({ length: 10 }, () => get(upstream, origin)));
    expect(after.every((answer) => answer === "HTTP/2.0")).toBe(true);
    const dispatcher = upstream.for(origin) as AlpnDispatcher;
    expect(dispatcher.protocol).toBe("h2");
    expect(dispatcher.learnt).toBe(2);
    // Connections the pool had opened for the ten before the first one saw h2, then one learnt.
    expect(h2.connections()).toBeLessThanOrEqual(11);
    expect(upstream.figures(origin).connected).toBe(1);
  });

  it("fails a burst together when the origin cannot be reached, and learns again later", async () => {
    const closed = await h2Backend();
    const port = closed.port;
    closed.dropConnections();
    await Promise.all(closers.splice(0).map((close) => close()));
    const upstream = pools();
    const origin = `https://127.0.0.1:${port}`;
    const failures = await Promise.allSettled([get(upstream, origin), get(upstream, origin)]);
    for (const failure of failures)
      expect(failure).toMatchObject({ status: "rejected", reason: { code: "ECONNREFUSED" } });
    expect(upstream.figures(origin)).toMatchObject({ queued: 0, connected: 0 });
    expect((upstream.for(origin) as AlpnDispatcher).protocol).toBeUndefined();
  });

  it("classifies a protocol change that reaches the gateway as a connect failure (nothing was sent)", () => {
    expect(classifyUpstreamError(new H2WithdrawnError("https://x"))).toBe("connect");
    expect(classifyUpstreamError(new H2OfferedError("https://x"))).toBe("connect");
  });

  it("still refuses a link-local address for an https origin", async () => {
    const upstream = new UpstreamPools({ connectTimeoutMs: 1_000, policy: new AddressPolicy() });
    closers.push(() => upstream.closeAll());
    await expect(get(upstream, "https://169.254.169.254")).rejects.toMatchObject({
      code: "SWY_ERR_ADDRESS_REFUSED",
    });
  });
});
