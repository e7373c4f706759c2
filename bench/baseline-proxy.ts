/**
 * The baseline for `bench:overhead`: the least a Node proxy can do. A `node:http` server forwards
 * method, path, headers and body to one upstream through a single keep-alive undici Pool and pipes
 * the response back (`pool.stream` writes straight into the server response). No routing, no
 * parsing, no metrics: the gateway's throughput is measured against this.
 *
 *   node dist/bench/baseline-proxy.js <upstream-url> [--host 127.0.0.1] [--port 0] [--connections 128]
 *
 * Prints `READY gateway url=http://HOST:PORT` once it listens; exits on SIGTERM/SIGINT.
 * @module
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { type Dispatcher, Pool } from "undici";
import { clientUrl, formatReadyLine } from "../src/process/ready-line.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "0" },
    connections: { type: "string", default: "128" },
  },
});
const upstream = positionals[0];
if (!upstream) {
  console.error("usage: baseline-proxy <upstream-url> [--host H] [--port P] [--connections N]");
  process.exit(2);
}

const pool = new Pool(upstream, { connections: Number(values.connections), pipelining: 1 });

/** Hop-by-hop headers (RFC 9110 §7.6.1) and `host`, which undici sets for the upstream. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "host",
]);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const abort = new AbortController();
    response.once("close", () => {
      if (!response.writableFinished) abort.abort();
    });
    pool.stream(
      {
        method: request.method as Dispatcher.HttpMethod,
        path: request.url ?? "/",
        headers: forwardable(request.headers),
        body: chunks.length === 0 ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
        signal: abort.signal,
      },
      ({ statusCode, headers }) => {
        response.writeHead(statusCode, forwardable(headers) as OutgoingHttpHeaders);
        return response;
      },
      (error) => {
        if (!error) return;
        if (response.headersSent) response.destroy();
        else
          response.writeHead(502, { "content-type": "application/json" }).end('{"error":"upstream failed"}');
      },
    );
  });
});

server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), values.host, () => {
  const { port } = server.address() as AddressInfo;
  console.log(formatReadyLine("gateway", "baseline-proxy", clientUrl(values.host, port)));
});

const shutdown = () => {
  server.closeAllConnections();
  server.close();
  void pool.destroy().finally(() => process.exit(0));
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
