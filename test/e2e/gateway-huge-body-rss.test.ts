/**
 * A backend answering a huge non-streamed JSON body (issue 16, finding 1: one 1.5 GB answer took a
 * gateway from 290 MB to 4.6 GB RSS). A real gateway process with the default
 * `max_upstream_body_bytes` (64 MiB) is sent several requests at once to a backend that streams
 * 400 MB at it: every client gets a 502 in its own protocol, the backend is hung up on near the
 * cap, and the gateway's resident memory (VmRSS from /proc, sampled while the bodies arrive) stays
 * within a generous bound, far below what buffering even one answer whole would take. The bound is
 * on memory, never on time.
 */
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.js";

const HUGE_BYTES = 400 * 1024 * 1024;
const MODEL = "huge-model";
/** Growth allowed over the idle gateway's RSS: a few capped reads (64 MiB each) and the GC's slack. */
const RSS_GROWTH_BOUND = 512 * 1024 * 1024;

let upstream: FakeUpstream;
let gateway: CliProcess;
/** Bytes the backend got written, per request, before the gateway hung up on it. */
const written: number[] = [];

/** A chat completion of HUGE_BYTES, written only as fast as the gateway reads it. */
function hugeCompletion(response: ServerResponse): void {
  const slot = written.push(0) - 1;
  response.writeHead(200, { "content-type": "application/json" });
  const chunk = Buffer.alloc(1024 * 1024, 0x78);
  response.write(
    `{"id":"chatcmpl-huge","object":"chat.completion","model":"${MODEL}","choices":[{"index":0,"message":{"role":"assistant","content":"`,
  );
  const write = () => {
    while (!response.destroyed && written[slot]! < HUGE_BYTES) {
      written[slot]! += chunk.length;
      if (!response.write(chunk)) return void response.once("drain", write);
    }
    if (!response.destroyed) response.end('"}}]}');
  };
  write();
}

function rssBytes(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kib) * 1024;
}

beforeAll(async () => {
  upstream = await startFakeUpstream((request, response) => {
    if (request.method === "POST") return hugeCompletion(response);
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ object: "list", data: [{ id: MODEL, object: "model" }] }));
  });
  gateway = await startCli([
    "gateway",
    "--port",
    "0",
    "--backend",
    `huge=${upstream.url}`,
    "--health-interval",
    "0",
    "--load-interval",
    "0",
  ]);
});

afterAll(async () => {
  await stopAll();
  await upstream?.close();
});

async function ask(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.ready[0]!.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("a backend answering 400 MB of JSON", () => {
  it("gets each client a 502 in its protocol while the gateway's RSS stays bounded", async () => {
    const pid = gateway.child.pid!;
    const baseline = rssBytes(pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssBytes(pid));
    }, 20);
    try {
      const answers = await Promise.all([
        ask("/v1/chat/completions"),
        ask("/v1/chat/completions"),
        ask("/v1/chat/completions"),
        ask("/v1/messages", { "anthropic-version": "2023-06-01" }),
      ]);
      for (const answer of answers) expect(answer.status).toBe(502);
      for (const { body } of answers.slice(0, 3))
        expect(body).toMatchObject({ error: { code: "upstream_failed" } });
      expect(answers[3]!.body).toMatchObject({ type: "error", error: { type: "api_error" } });
      expect(JSON.stringify(answers[0]!.body)).toContain("max_upstream_body_bytes");
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, rssBytes(pid));
    expect(written.length).toBeGreaterThanOrEqual(4);
    // Hung up on near the cap, not read to the end.
    for (const bytes of written) expect(bytes).toBeLessThan(HUGE_BYTES / 2);
    expect(peak - baseline).toBeLessThan(RSS_GROWTH_BOUND);
  }, 60_000);
});
