/**
 * `max_upstream_body_bytes`: a backend's non-streamed answer over the cap fails its attempt before
 * anything reaches the client, so it is counted against that backend, retried on another, and is
 * finally a 502 in the client's protocol; a cap exceeded by the running count (no content-length)
 * holds as well as a declared length over it, and a backend that would send a gigabyte is hung up
 * on at the cap.
 */
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { chatCompletion, type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

const CAP = 4096;
const upstreams: Record<string, FakeUpstream> = {};
let gateway: Gateway;

/** A chat completion whose text alone is over the cap; chunked, or with its length declared. */
function hugeCompletion(response: ServerResponse, declared: boolean): void {
  const body = Buffer.from(
    JSON.stringify({
      id: "chatcmpl-huge",
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: "x".repeat(4 * CAP) } }],
    }),
  );
  response.writeHead(200, {
    "content-type": "application/json",
    ...(declared ? { "content-length": String(body.length) } : {}),
  });
  if (declared) return void response.end(body);
  // Chunks of 1 KiB, no length: only the running count can tell.
  for (let at = 0; at < body.length; at += 1024) response.write(body.subarray(at, at + 1024));
  response.end();
}

/** Bytes the endless backend got written before the gateway hung up on it. */
let endlessWritten = 0;
let endlessClosed: Promise<void>;

/** A JSON answer that would go on for a gigabyte, written only as fast as the gateway reads it. */
function gigabyteCompletion(response: ServerResponse, onClose: () => void): void {
  response.writeHead(200, { "content-type": "application/json" });
  response.once("close", onClose);
  const chunk = Buffer.alloc(64 * 1024, 0x78);
  response.write('{"id":"chatcmpl-endless","choices":[{"message":{"content":"');
  const write = () => {
    while (!response.destroyed && endlessWritten < 1024 ** 3) {
      endlessWritten += chunk.length;
      if (!response.write(chunk)) return void response.once("drain", write);
    }
    response.end('"}}]}');
  };
  write();
}

beforeAll(async () => {
  let closed!: () => void;
  endlessClosed = new Promise((resolve) => {
    closed = resolve;
  });
  upstreams.endless = await startFakeUpstream((_req, res) => gigabyteCompletion(res, closed));
  upstreams.chunked = await startFakeUpstream((_req, res) => hugeCompletion(res, false));
  upstreams.declared = await startFakeUpstream((_req, res) => hugeCompletion(res, true));
  upstreams.ok = await startFakeUpstream((_req, res) => chatCompletion(res));
  const url = (name: string) => upstreams[name]!.url;
  gateway = buildGateway(
    gatewayConfigSchema.parse({
      port: 0,
      log_level: "silent",
      health_interval: 0,
      load_interval: 0,
      circuit_breaker_threshold: 0,
      request_timeout: 5,
      max_retries: 2,
      strategy: "round_robin",
      max_upstream_body_bytes: CAP,
      backends: [
        { name: "chunked", url: url("chunked"), models: ["m-huge", "m-mixed"] },
        { name: "declared", url: url("declared"), models: ["m-huge"] },
        { name: "ok", url: url("ok"), models: ["m-mixed"] },
        { name: "endless", url: url("endless"), models: ["m-endless"] },
      ],
    }),
  );
  await gateway.app.ready();
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
});

async function failuresOf(backend: string): Promise<number> {
  const samples = parsePrometheusText((await gateway.app.inject({ url: "/metrics" })).body);
  return sumSamples(samples, "switchyard_upstream_failures_total", { backend, reason: "body_too_large" });
}

describe("an upstream answer over max_upstream_body_bytes", () => {
  it("is a 502 in the OpenAI shape once every backend sent one, each counted", async () => {
    const answer = await gateway.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { model: "m-huge", messages: [{ role: "user", content: "hi" }] },
    });
    expect(answer.statusCode).toBe(502);
    expect(answer.json()).toMatchObject({ error: { code: "upstream_failed" } });
    expect(answer.json().error.message).toContain("max_upstream_body_bytes");
    expect(await failuresOf("chunked")).toBeGreaterThanOrEqual(1);
    expect(await failuresOf("declared")).toBeGreaterThanOrEqual(1);
    expect(gateway.context.registry.get("chunked")!.failures).toBeGreaterThanOrEqual(1);
  });

  it("is a 502 in the Anthropic shape for an Anthropic client", async () => {
    const answer = await gateway.app.inject({
      method: "POST",
      url: "/v1/messages",
      payload: { model: "m-huge", max_tokens: 8, messages: [{ role: "user", content: "hi" }] },
    });
    expect(answer.statusCode).toBe(502);
    expect(answer.json()).toMatchObject({ type: "error", error: { type: "api_error" } });
    expect(answer.json().error.message).toContain("max_upstream_body_bytes");
  });

  it("is retried on another backend before anything reached the client", async () => {
    const before = upstreams.chunked!.hits;
    // Round robin over the two: some of these start on the backend whose answer is too large.
    const answers = await Promise.all(
      [1, 2, 3, 4].map(() =>
        gateway.app.inject({
          method: "POST",
          url: "/v1/chat/completions",
          payload: { model: "m-mixed", messages: [{ role: "user", content: "hi" }] },
        }),
      ),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200]);
    for (const answer of answers) expect(answer.json()).toMatchObject({ id: "chatcmpl-fake" });
    expect(upstreams.chunked!.hits).toBeGreaterThan(before);
  });

  it("stops reading a gigabyte answer at the cap and hangs up on its backend", async () => {
    const answer = await gateway.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { model: "m-endless", messages: [{ role: "user", content: "hi" }] },
    });
    expect(answer.statusCode).toBe(502);
    await endlessClosed;
    // What the backend got written is the cap plus what the sockets' buffers held, not a gigabyte.
    expect(endlessWritten).toBeLessThan(64 * 1024 * 1024);
  });
});
