/**
 * The access log and the failure log of a real gateway process in front of real mocks: one line per
 * request (JSON, stream, gateway-made 404, failover, all attempts failed) when on, none when off,
 * retries at info and the last failure at warn either way, and never a prompt or a key.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { writeTempConfig } from "../helpers/temp-config.js";

const KEY = "sk-access-log-e2e-0123456789";
const PROMPT = "a prompt that must never reach the log";

let config: ReturnType<typeof writeTempConfig>;
let on: CliProcess;
let off: CliProcess;

beforeAll(async () => {
  const [healthy, failing, slow, dropping] = await Promise.all([
    startCli(["mock", "--port", "0", "--id", "healthy", "--models", "ok-model,flaky-model"]),
    startCli([
      "mock",
      "--port",
      "0",
      "--id",
      "failing",
      "--models",
      "flaky-model,doomed-model",
      "--fail-rate",
      "1",
    ]),
    startCli(["mock", "--port", "0", "--id", "slow", "--models", "slow-model", "--token-delay-ms", "1000"]),
    startCli(["mock", "--port", "0", "--id", "dropping", "--models", "drop-model", "--drop-rate", "1"]),
  ]);
  config = writeTempConfig({
    strategy: "round_robin",
    max_retries: 1,
    backends: [
      { name: "healthy", url: healthy.ready[0]!.url, models: ["ok-model", "flaky-model"] },
      { name: "failing", url: failing.ready[0]!.url, models: ["flaky-model", "doomed-model"] },
      { name: "slow", url: slow.ready[0]!.url, models: ["slow-model"] },
      { name: "dropping", url: dropping.ready[0]!.url, models: ["drop-model"] },
    ],
    client_keys: [{ name: "e2e-client", key: KEY }],
  });
  // At debug the access log is on by default; an explicit false turns it off.
  [on, off] = await Promise.all([
    startCli(["gateway", "--port", "0", "--config", config.path, "--log-level", "debug"]),
    startCli([
      "gateway",
      "--port",
      "0",
      "--config",
      config.path,
      "--log-level",
      "debug",
      "--access-log",
      "false",
    ]),
  ]);
});

afterAll(async () => {
  await stopAll();
  config?.remove();
});

type LogLine = Record<string, unknown>;

function logLines(process: CliProcess): LogLine[] {
  return process
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

const accessLines = (process: CliProcess, reqId: string) =>
  logLines(process).filter((line) => line.msg === "request" && line.reqId === reqId);

/** Waits for the one access line of `reqId`. */
async function accessLine(process: CliProcess, reqId: string): Promise<LogLine> {
  await vi.waitFor(() => expect(accessLines(process, reqId)).toHaveLength(1), { timeout: 5_000 });
  return accessLines(process, reqId)[0]!;
}

async function chat(gateway: CliProcess, reqId: string, body: Record<string, unknown>) {
  const response = await fetch(`${gateway.ready[0]!.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}`, "x-request-id": reqId },
    body: JSON.stringify({ messages: [{ role: "user", content: PROMPT }], ...body }),
  });
  await response.text();
  return response.status;
}

describe("with the access log on", () => {
  it("logs a JSON answer with its backend, client and tokens", async () => {
    expect(await chat(on, "json-1", { model: "ok-model" })).toBe(200);
    const line = await accessLine(on, "json-1");
    expect(line).toMatchObject({
      level: 30,
      method: "POST",
      path: "/v1/chat/completions",
      status: 200,
      client: "e2e-client",
      model: "ok-model",
      backend: "healthy",
      attempts: 1,
    });
    expect(line.sentModel).toBeUndefined();
    expect(line.latencyMs).toEqual(expect.any(Number));
    expect(line.ttfbMs).toEqual(expect.any(Number));
    expect(line.promptTokens).toEqual(expect.any(Number));
    expect(line.completionTokens).toEqual(expect.any(Number));
  });

  it("logs a stream when it ends, with the time to its first byte", async () => {
    const status = await chat(on, "stream-1", {
      model: "ok-model",
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(status).toBe(200);
    const line = await accessLine(on, "stream-1");
    expect(line).toMatchObject({ status: 200, backend: "healthy", attempts: 1 });
    expect(line.ttfbMs).toEqual(expect.any(Number));
    expect(line.ttfbMs as number).toBeLessThanOrEqual(line.latencyMs as number);
    expect(line.completionTokens).toEqual(expect.any(Number));
  });

  it("logs a gateway-made 404 with no attempt", async () => {
    expect(await chat(on, "unknown-1", { model: "no-such-model" })).toBe(404);
    const line = await accessLine(on, "unknown-1");
    expect(line).toMatchObject({ status: 404, model: "no-such-model", attempts: 0, client: "e2e-client" });
    expect(line.backend).toBeUndefined();
  });

  it("logs a failover: the retry at info, then one access line with both attempts", async () => {
    // Round robin over two backends: of two requests in a row, one starts on the failing one.
    expect(await chat(on, "flaky-1", { model: "flaky-model" })).toBe(200);
    expect(await chat(on, "flaky-2", { model: "flaky-model" })).toBe(200);
    const lines = [await accessLine(on, "flaky-1"), await accessLine(on, "flaky-2")];
    const failedOver = lines.find((line) => line.attempts === 2);
    expect(failedOver).toMatchObject({ status: 200, backend: "healthy", attempts: 2 });
    const retry = logLines(on).find((line) => line.reqId === failedOver!.reqId && line.msg !== "request");
    expect(retry).toMatchObject({ level: 30, backend: "failing", attempt: 1, retrying: true });
    expect(retry!.reason).toContain("HTTP 500");
  });

  it("logs the failure that ends a request at warn", async () => {
    expect(await chat(on, "doomed-1", { model: "doomed-model" })).toBe(502);
    expect(await accessLine(on, "doomed-1")).toMatchObject({ status: 502, backend: "failing", attempts: 1 });
    const failure = logLines(on).find((line) => line.reqId === "doomed-1" && line.msg !== "request");
    expect(failure).toMatchObject({ level: 40, backend: "failing", attempt: 1, retrying: false });
  });

  it("logs a stream whose backend breaks mid-way, with a warning for the break", async () => {
    expect(await chat(on, "broken-1", { model: "drop-model", stream: true })).toBe(200);
    expect(await accessLine(on, "broken-1")).toMatchObject({ status: 200, backend: "dropping", attempts: 1 });
    const broken = logLines(on).find((line) => line.reqId === "broken-1" && line.msg !== "request");
    expect(broken).toMatchObject({ level: 40, backend: "dropping", msg: "upstream failed mid-answer" });
  });

  it("logs a stream the client hung up on", async () => {
    const aborter = new AbortController();
    const response = await fetch(`${on.ready[0]!.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${KEY}`,
        "x-request-id": "gone-1",
      },
      body: JSON.stringify({
        model: "slow-model",
        stream: true,
        max_tokens: 50,
        messages: [{ role: "user", content: PROMPT }],
      }),
      signal: aborter.signal,
    });
    await response.body!.getReader().read();
    aborter.abort();
    expect(await accessLine(on, "gone-1")).toMatchObject({ status: 200, backend: "slow", clientGone: true });
  });

  it("never logs the prompt or the key", () => {
    expect(on.output()).not.toContain(PROMPT);
    expect(on.output()).not.toContain(KEY);
  });
});

describe("with the access log off", () => {
  it("writes no access line, and still logs upstream failures", async () => {
    expect(await chat(off, "off-json", { model: "ok-model" })).toBe(200);
    expect(await chat(off, "off-doomed", { model: "doomed-model" })).toBe(502);
    // Lines leave in order: once the later request's failure is out, an earlier access line would be too.
    await vi.waitFor(
      () => expect(logLines(off).some((line) => line.reqId === "off-doomed" && line.level === 40)).toBe(true),
      { timeout: 5_000 },
    );
    expect(logLines(off).filter((line) => line.msg === "request")).toEqual([]);
    expect(off.output()).not.toContain(PROMPT);
    expect(off.output()).not.toContain(KEY);
  });
});
