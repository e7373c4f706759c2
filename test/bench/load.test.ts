import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  classifyError,
  jsonRequest,
  type LoadProgress,
  type RequestOutcome,
  type ResponseObserver,
  runLoad,
  summarize,
} from "../../src/bench/load.js";

let server: Server;
let url: string;
let bodiesSeen = 0;

function handle(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    if (Buffer.concat(chunks).toString() === '{"hello":"world"}') bodiesSeen++;
    if (request.url === "/json") {
      response.writeHead(200, { "content-type": "application/json", "x-routed-node": "node-7" });
      response.end('{"ok":true}');
    } else if (request.url === "/sse" || request.url === "/sse-no-done") {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write('data: {"n":1}\n\n');
      setTimeout(() => {
        response.write('data: {"n":2}\n\n');
        response.end(request.url === "/sse" ? "data: [DONE]\n\n" : "");
      }, 5);
    } else if (request.url === "/fail") {
      response.writeHead(503, { "content-type": "application/json" });
      response.end('{"error":"busy"}');
    } else if (request.url === "/hang") {
      // Never answers: the run must abort it after its drain timeout.
    } else {
      response.writeHead(404);
      response.end();
    }
  });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("runLoad, closed loop", () => {
  it("stops at the request count and records every response", async () => {
    bodiesSeen = 0;
    const result = await runLoad({
      url,
      request: jsonRequest("/json", { hello: "world" }),
      mode: { kind: "closed", concurrency: 4 },
      requests: 200,
      durationMs: 10_000,
    });
    expect(result.sent).toBe(200);
    expect(result.ok).toBe(200);
    expect(result.errors.total).toBe(0);
    expect(result.latency.count).toBe(200);
    expect(result.ttfb.count).toBe(0);
    expect(result.throughput).toBeGreaterThan(0);
    expect(result.bytesReceived).toBe(200 * '{"ok":true}'.length);
    expect(bodiesSeen).toBe(200);
  });

  it("is bounded by its duration and leaves warm-up requests out", async () => {
    const progress: LoadProgress[] = [];
    const result = await runLoad({
      url,
      request: { method: "GET", path: "/json" },
      mode: { kind: "closed", concurrency: 2 },
      warmupMs: 100,
      durationMs: 300,
      onProgress: (update) => progress.push(update),
      progressIntervalMs: 50,
    });
    expect(result.ok).toBeGreaterThan(0);
    expect(result.ok).toBe(result.sent);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(250);
    expect(result.elapsedMs).toBeLessThan(2_000);
    expect(progress.some((update) => update.phase === "warmup")).toBe(true);
    expect(progress.some((update) => update.phase === "measure")).toBe(true);
  });

  it("counts non-2xx responses by status and keeps them out of the latency", async () => {
    const result = await runLoad({
      url,
      request: (index) => ({ method: "GET", path: index % 2 === 0 ? "/json" : "/fail" }),
      mode: { kind: "closed", concurrency: 1 },
      requests: 20,
    });
    expect(result.sent).toBe(20);
    expect(result.ok).toBe(10);
    expect(result.errors).toMatchObject({ total: 10, byKind: { status: 10 }, byStatus: { "503": 10 } });
    expect(result.latency.count).toBe(10);
  });

  it("counts connection failures by kind and code", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await runLoad({
      url: `http://127.0.0.1:${port}`,
      request: { method: "GET", path: "/" },
      mode: { kind: "closed", concurrency: 2 },
      requests: 10,
    });
    expect(result.ok).toBe(0);
    expect(result.errors.total).toBe(10);
    expect(result.errors.byKind.connect).toBe(10);
    expect(result.errors.byCode.ECONNREFUSED).toBe(10);
  });

  it("tells each request which worker sends it, and pauses each worker for its think time first", async () => {
    const sentBy: number[] = [];
    const thoughtBy: number[] = [];
    const result = await runLoad({
      url,
      request: (_index, worker) => {
        sentBy.push(worker!);
        return { method: "GET", path: "/json" };
      },
      mode: {
        kind: "closed",
        concurrency: 3,
        thinkMs: (worker) => {
          thoughtBy.push(worker);
          return 1;
        },
      },
      requests: 30,
    });
    expect(result.ok).toBe(30);
    expect(new Set(sentBy)).toEqual(new Set([0, 1, 2]));
    // Every request, the first of each worker included, follows one think time of its own worker.
    for (const worker of [0, 1, 2])
      expect(thoughtBy.filter((w) => w === worker).length).toBeGreaterThanOrEqual(
        sentBy.filter((w) => w === worker).length,
      );
  });

  it("aborts requests still in flight after the drain timeout", async () => {
    const result = await runLoad({
      url,
      request: { method: "GET", path: "/hang" },
      mode: { kind: "closed", concurrency: 3 },
      durationMs: 50,
      drainTimeoutMs: 100,
    });
    expect(result.sent).toBe(3);
    expect(result.errors.byKind.aborted).toBe(3);
  });
});

describe("runLoad, streaming", () => {
  it("records time to first byte, time to first token and the end of the stream", async () => {
    const result = await runLoad({
      url,
      request: jsonRequest("/sse", { hello: "world" }, true),
      mode: { kind: "closed", concurrency: 4 },
      requests: 40,
      sse: "events",
    });
    expect(result.ok).toBe(40);
    expect(result.ttfb.count).toBe(40);
    expect(result.ttft.count).toBe(40);
    const summary = summarize(result);
    // The server waits ~5 ms between the first and the last event.
    expect(summary.ttfb.p50).toBeLessThan(summary.latency.p50);
    expect(summary.latency.min).toBeGreaterThan(3);
  });

  it("counts a stream that ends without [DONE] as incomplete when parsing events", async () => {
    const result = await runLoad({
      url,
      request: { method: "GET", path: "/sse-no-done", stream: true },
      mode: { kind: "closed", concurrency: 2 },
      requests: 6,
      sse: "events",
    });
    expect(result.ok).toBe(0);
    expect(result.errors.byKind.incomplete).toBe(6);
  });
});

describe("runLoad, open loop", () => {
  it("sends at roughly the requested rate and measures from the scheduled time", async () => {
    const result = await runLoad({
      url,
      request: { method: "GET", path: "/json" },
      mode: { kind: "open", rate: 200 },
      warmupMs: 100,
      durationMs: 500,
    });
    // 100 scheduled in the window; timers are coarse, so the range is generous.
    expect(result.sent).toBeGreaterThanOrEqual(80);
    expect(result.sent).toBeLessThanOrEqual(101);
    expect(result.ok).toBe(result.sent);
    expect(result.sendLag.count).toBe(result.sent);
    expect(result.latency.count).toBe(result.sent);
    expect(result.serviceLatency.count).toBe(result.sent);
  });

  it("busy-waits the last moments before each arrival in precise mode", async () => {
    const result = await runLoad({
      url,
      request: { method: "GET", path: "/json" },
      mode: { kind: "open", rate: 500, precise: true },
      durationMs: 200,
    });
    expect(result.sent).toBeGreaterThanOrEqual(80);
    expect(result.sent).toBeLessThanOrEqual(101);
    expect(result.ok).toBe(result.sent);
  });

  it("supports Poisson arrivals with an injected random source", async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const result = await runLoad({
      url,
      request: { method: "GET", path: "/json" },
      mode: { kind: "open", rate: 500, arrivals: "poisson" },
      durationMs: 200,
      requests: 50,
      random,
    });
    expect(result.sent).toBeGreaterThan(0);
    expect(result.sent).toBeLessThanOrEqual(50);
    expect(result.ok).toBe(result.sent);
  });

  it("counts arrivals beyond maxInflight as overload instead of queueing them", async () => {
    const result = await runLoad({
      url,
      request: { method: "GET", path: "/hang" },
      mode: { kind: "open", rate: 1000, maxInflight: 5 },
      durationMs: 100,
      drainTimeoutMs: 50,
    });
    expect(result.errors.byKind.overload).toBeGreaterThan(0);
    expect(result.errors.byKind.aborted).toBe(5);
  });

  it("returns a partial result when aborted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await runLoad({
      url,
      request: { method: "GET", path: "/json" },
      mode: { kind: "open", rate: 100 },
      durationMs: 10_000,
      signal: controller.signal,
    });
    expect(result.aborted).toBe(true);
    expect(result.elapsedMs).toBeLessThan(2_000);
  });
});

describe("classifyError", () => {
  it("maps undici and socket codes to kinds", () => {
    expect(classifyError({ code: "UND_ERR_HEADERS_TIMEOUT" })).toEqual({
      kind: "timeout",
      code: "UND_ERR_HEADERS_TIMEOUT",
    });
    expect(classifyError({ code: "ECONNRESET" }).kind).toBe("socket");
    expect(classifyError({ name: "AbortError" }).kind).toBe("aborted");
    expect(classifyError(new Error("boom"))).toEqual({ kind: "other", code: "Error" });
  });
});

describe("runLoad, observers", () => {
  class Recorder implements ResponseObserver {
    headers: string | undefined;
    events: string[] = [];
    body = "";
    outcomes: RequestOutcome[] = [];
    constructor(readonly complete?: () => boolean) {}
    onHeaders(_status: number, headers: Record<string, string | string[] | undefined>): void {
      this.headers = String(headers["x-routed-node"]);
    }
    onEvent(event: { data: string }): void {
      this.events.push(event.data);
    }
    onData(chunk: Buffer): void {
      this.body += chunk.toString();
    }
    isComplete(): boolean {
      return this.complete ? this.complete() : true;
    }
    onEnd(outcome: RequestOutcome): void {
      this.outcomes.push(outcome);
    }
  }

  it("gives each request its observer: headers, body or SSE events, and one outcome", async () => {
    const observers: Recorder[] = [];
    const result = await runLoad({
      url,
      request: (index) =>
        index % 2 === 0 ? { method: "GET", path: "/json" } : { method: "GET", path: "/sse", stream: true },
      observe: () => {
        const observer = new Recorder();
        observers.push(observer);
        return observer;
      },
      mode: { kind: "closed", concurrency: 2 },
      requests: 10,
    });
    expect(result.ok).toBe(10);
    expect(observers).toHaveLength(10);
    for (const [index, observer] of observers.entries()) {
      expect(observer.outcomes).toHaveLength(1);
      const outcome = observer.outcomes[0]!;
      expect(outcome).toMatchObject({ measured: true, status: 200 });
      expect(outcome.error).toBeUndefined();
      expect(outcome.endedAt).toBeGreaterThanOrEqual(outcome.sentAt);
      if (index % 2 === 0) {
        expect(observer.headers).toBe("node-7");
        expect(observer.body).toBe('{"ok":true}');
      } else expect(observer.events).toEqual(['{"n":1}', '{"n":2}', "[DONE]"]);
    }
  });

  it("lets the observer decide when a stream is complete", async () => {
    const outcomes: RequestOutcome[] = [];
    const result = await runLoad({
      url,
      request: { method: "GET", path: "/sse", stream: true },
      observe: () => {
        const observer = new Recorder(() => false);
        observer.onEnd = (outcome) => outcomes.push(outcome);
        return observer;
      },
      mode: { kind: "closed", concurrency: 1 },
      requests: 3,
    });
    expect(result.errors.byKind.incomplete).toBe(3);
    expect(outcomes.map((outcome) => outcome.error?.kind)).toEqual([
      "incomplete",
      "incomplete",
      "incomplete",
    ]);
  });

  it("reports overload arrivals to an observer too", async () => {
    const kinds: string[] = [];
    await runLoad({
      url,
      request: { method: "GET", path: "/hang" },
      observe: () => ({ onEnd: (outcome) => kinds.push(outcome.error?.kind ?? "ok") }),
      mode: { kind: "open", rate: 500, maxInflight: 2 },
      durationMs: 60,
      drainTimeoutMs: 30,
    });
    expect(kinds.filter((kind) => kind === "overload").length).toBeGreaterThan(0);
    expect(kinds.filter((kind) => kind === "aborted")).toHaveLength(2);
  });

  it("stops sending on stopSignal and lets requests in flight finish", async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const started = performance.now();
    const result = await runLoad({
      url,
      request: { method: "GET", path: "/sse", stream: true },
      mode: { kind: "closed", concurrency: 4 },
      durationMs: 10_000,
      sse: "events",
      stopSignal: stop.signal,
    });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result.stopped).toBe(true);
    expect(result.aborted).toBe(false);
    expect(result.errors.total).toBe(0);
    expect(result.ok).toBe(result.sent);
  });
});
