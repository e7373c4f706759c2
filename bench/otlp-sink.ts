/**
 * An OTLP/HTTP endpoint for `bench:overhead --otel` that reads and acknowledges what the gateway
 * exports, and counts it: the cost measured is the gateway's (building, batching, serialising and
 * posting spans), not a collector's.
 * @module
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface OtlpSink {
  url: string;
  /** Export requests received, by path (`/v1/traces`, `/v1/metrics`). */
  readonly posts: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const posts = new Map<string, number>();
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const path = request.url ?? "";
      posts.set(path, (posts.get(path) ?? 0) + 1);
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
