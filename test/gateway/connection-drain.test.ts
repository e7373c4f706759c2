import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionDrain } from "../../src/gateway/connection-drain.js";

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.closeAllConnections();
});

/**
 * A server whose handler answers after `delayMs`, with a drain tracking it. `received` resolves
 * when the first request reaches the handler, so a test drains only once it is really in flight.
 */
async function serve(
  delayMs: number,
): Promise<{ url: string; drain: ConnectionDrain; server: Server; received: Promise<void> }> {
  let onReceived = () => {};
  const received = new Promise<void>((resolve) => {
    onReceived = resolve;
  });
  const server = createServer((_request, response) => {
    onReceived();
    setTimeout(() => response.end("ok"), delayMs);
  });
  servers.push(server);
  const drain = new ConnectionDrain(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, drain, server, received };
}

describe("ConnectionDrain", () => {
  it("finishes a request in flight and answers it with Connection: close", async () => {
    const { url, drain, server, received } = await serve(200);
    const client = new Client(url);
    const pending = client.request({ path: "/", method: "POST", body: "x" });
    await received;
    const drained = drain.drain({ idleGraceMs: 10_000, deadlineMs: 10_000 });
    expect(server.listening).toBe(false);
    const response = await pending;
    expect(response.statusCode).toBe(200);
    expect(response.headers.connection).toBe("close");
    expect(await response.body.text()).toBe("ok");
    await drained;
    await client.close();
  });

  it("serves a request sent on a kept-alive connection while draining, then closes it", async () => {
    const { url, drain } = await serve(0);
    const client = new Client(url);
    const first = await client.request({ path: "/", method: "GET" });
    await first.body.text();
    expect(first.headers.connection).toBe("keep-alive");
    // The connection is idle but younger than the grace: the next request on it is served.
    const drained = drain.drain({ idleGraceMs: 5_000, deadlineMs: 10_000 });
    const second = await client.request({ path: "/", method: "POST", body: "x" });
    expect(second.statusCode).toBe(200);
    expect(second.headers.connection).toBe("close");
    await second.body.text();
    await drained;
    await client.close();
  });

  it("closes a connection idle for the grace period and resolves", async () => {
    const { url, drain } = await serve(0);
    const client = new Client(url);
    await (await client.request({ path: "/", method: "GET" })).body.text();
    const started = Date.now();
    await drain.drain({ idleGraceMs: 200, deadlineMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    await client.close();
  });

  it("destroys what is left at the deadline", async () => {
    const { url, drain, received } = await serve(60_000);
    const client = new Client(url);
    const pending = client.request({ path: "/", method: "GET" }).catch((error: unknown) => error);
    await received;
    await drain.drain({ idleGraceMs: 100, deadlineMs: 300 });
    expect(await pending).toBeInstanceOf(Error);
    await client.destroy();
  });
});
