/**
 * `runBench` with `protocol: "responses"` end to end in process: a gateway on port 0 bridging the
 * Responses API to a real mock. The mock stops every reply at `max_output_tokens`, so each stream ends
 * with `response.incomplete`, which is a normal end; token counts come from the response's usage.
 */
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLength } from "../../src/bench/llm/lengths.js";
import { runBench } from "../../src/bench/run-bench.js";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { type RunningMock, startMock } from "../../src/mock/server.js";
import { benchOptions } from "./fixtures.js";

let mock: RunningMock;
let gateway: Gateway;
let url: string;

beforeAll(async () => {
  mock = await startMock({ port: 0, firstTokenDelayMs: 5, tokenDelayMs: 1, models: ["m1"] });
  gateway = buildGateway(
    gatewayConfigSchema.parse({
      host: "127.0.0.1",
      port: 0,
      log_level: "silent",
      backends: [{ name: "b1", url: mock.url, models: ["m1"] }],
    }),
  );
  url = await gateway.start();
});

afterAll(async () => {
  await gateway?.close();
  await mock?.close();
});

async function chatRequestsSeen(): Promise<number> {
  const response = await fetch(`${mock.url}/mock/stats`);
  const stats = (await response.json()) as { requests: Record<string, number> };
  await fetch(`${mock.url}/mock/reset`, { method: "POST" });
  return stats.requests.chat ?? 0;
}

describe("runBench over the Responses API", () => {
  it("streams, times the first output_text delta and counts tokens from the usage", async () => {
    await chatRequestsSeen();
    const report = await runBench(
      benchOptions({
        url,
        models: [{ model: "m1", share: 1 }],
        protocol: "responses",
        requests: 12,
        durationS: 20,
        outputTokens: parseLength("6"),
        maxTokens: 6,
        slo: {},
      }),
      { stdout: new PassThrough(), stderr: new PassThrough() },
    );
    expect(report.overall.requests).toMatchObject({ sent: 12, ok: 12, failed: 0 });
    expect(report.overall.outputTokens.total).toBe(72);
    expect(report.overall.ttftMs.count).toBe(12);
    expect(report.overall.interTokenMs.count).toBe(12 * 5);
    expect(report.parameters.protocol).toBe("responses");
    expect(await chatRequestsSeen()).toBe(12);
  });

  it("reads whole Response objects without streaming", async () => {
    const report = await runBench(
      benchOptions({
        url,
        models: [{ model: "m1", share: 1 }],
        protocol: "responses",
        stream: false,
        requests: 5,
        durationS: 20,
        outputTokens: parseLength("3"),
        slo: {},
      }),
      { stdout: new PassThrough(), stderr: new PassThrough() },
    );
    expect(report.overall.requests).toMatchObject({ ok: 5, failed: 0 });
    expect(report.overall.outputTokens.total).toBe(15);
    expect(report.overall.ttftMs.count).toBe(0);
  });
});
