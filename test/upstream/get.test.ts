/**
 * `getWithDeadline` (health probes, model listings, metrics scrapes) reads at most GET_BODY_LIMIT:
 * a backend that answers /health with hundreds of megabytes within the health timeout is hung up on
 * at the limit, not held in memory whole.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET_BODY_LIMIT, getWithDeadline } from "../../src/upstream/get.js";
import { BodyTooLargeError } from "../../src/upstream/read-bounded.js";

const HUGE_BYTES = 256 * 1024 * 1024;
let server: Server;
let pool: Pool;
let written = 0;
let hugeClosed: Promise<void>;

beforeAll(async () => {
  let closed!: () => void;
  hugeClosed = new Promise((resolve) => {
    closed = resolve;
  });
  server = createServer((request, response) => {
    if (request.url === "/declared") {
      response.writeHead(200, { "content-length": String(GET_BODY_LIMIT + 1) });
      return void response.write("x");
    }
    if (request.url !== "/huge") return void response.end('{"status":"ok"}');
    response.writeHead(200, { "content-type": "application/json" });
    response.once("close", closed);
    const chunk = Buffer.alloc(1024 * 1024, 0x78);
    const write = () => {
      while (!response.destroyed && written < HUGE_BYTES) {
        written += chunk.length;
        if (!response.write(chunk)) return void response.once("drain", write);
      }
      if (!response.destroyed) response.end();
    };
    write();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  await pool?.destroy();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe("getWithDeadline", () => {
  it("reads a small answer whole", async () => {
    expect(await getWithDeadline(pool, "/health", 5_000)).toEqual({ status: 200, text: '{"status":"ok"}' });
  });

  it("stops at GET_BODY_LIMIT and hangs up on a backend sending hundreds of megabytes", async () => {
    await expect(getWithDeadline(pool, "/huge", 30_000)).rejects.toBeInstanceOf(BodyTooLargeError);
    await hugeClosed;
    expect(written).toBeLessThan(HUGE_BYTES / 2);
  });

  it("refuses a declared length over the limit before reading", async () => {
    await expect(getWithDeadline(pool, "/declared", 5_000)).rejects.toThrow(/GET limit/);
  });
});
