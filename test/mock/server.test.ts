import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { MockOptionsInput } from "../../src/mock/options.js";
import { type RunningMock, startMock } from "../../src/mock/server.js";
import type { StatsSnapshot } from "../../src/mock/stats.js";

const mocks: RunningMock[] = [];
afterEach(async () => {
  await Promise.all(mocks.splice(0).map((mock) => mock.close()));
});

async function start(options: MockOptionsInput = {}): Promise<RunningMock> {
  const mock = await startMock({ port: 0, logLevel: "silent", ...options });
  mocks.push(mock);
  return mock;
}

function chat(mock: RunningMock, extra: Record<string, unknown> = {}, signal?: AbortSignal) {
  return fetch(`${mock.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "mock-model",
      messages: [{ role: "user", content: "one two three" }],
      ...extra,
    }),
    signal,
  });
}

async function stats(mock: RunningMock): Promise<StatsSnapshot> {
  return (await (await fetch(`${mock.url}/mock/stats`)).json()) as StatsSnapshot;
}

async function eventually(check: () => Promise<void>, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("startMock", () => {
  it("listens on a free port and takes mock-<port> as its id", async () => {
    const mock = await start();
    expect(mock.id).toBe(`mock-${mock.port}`);
    expect(mock.url).toBe(`http://127.0.0.1:${mock.port}`);
    const body = (await (await chat(mock)).json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]!.message.content).toBe(`[backend=mock-${mock.port} version=0] one two three`);
    expect(await (await fetch(`${mock.url}/health`)).json()).toMatchObject({ id: mock.id });
  });

  it("refuses connections until --refuse-for has passed", async () => {
    const port = await freePort();
    const started = Date.now();
    const starting = start({ port, refuseFor: 0.3 });
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    const mock = await starting;
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect((await fetch(`${mock.url}/health`)).status).toBe(200);
  });

  it("stops waiting out --refuse-for when aborted", async () => {
    const abort = new AbortController();
    const starting = startMock({ port: 0, refuseFor: 30, logLevel: "silent" }, { signal: abort.signal });
    abort.abort();
    await expect(starting).rejects.toThrow(/abort/i);
  });
});

describe("delays", () => {
  it("waits --first-token-delay-ms before a JSON reply", async () => {
    const mock = await start({ firstTokenDelayMs: 100 });
    const started = Date.now();
    expect((await chat(mock)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });

  it("paces streamed tokens by --token-delay-ms and still sends the whole stream", async () => {
    const mock = await start({ tokenDelayMs: 20 });
    const started = Date.now();
    const text = await (await chat(mock, { stream: true })).text();
    // "[backend=… version=0] one two three" is 5 tokens → 4 pauses of 20 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("ends a paced stream when the client leaves, releasing it at once", async () => {
    const mock = await start({ tokenDelayMs: 50 });
    const abort = new AbortController();
    const response = await chat(mock, { stream: true }, abort.signal);
    const reader = response.body!.getReader();
    await reader.read();
    abort.abort();
    await eventually(async () =>
      expect(await stats(mock)).toMatchObject({ inflight: 0, max_inflight_seen: 1 }),
    );
  });
});

describe("faults over real sockets", () => {
  it("hangs until the client leaves, then releases the request", async () => {
    const mock = await start({ hangRate: 1 });
    const abort = new AbortController();
    const pending = chat(mock, {}, abort.signal);
    await eventually(async () => expect((await stats(mock)).inflight).toBe(1));
    abort.abort();
    await expect(pending).rejects.toThrow();
    await eventually(async () => expect((await stats(mock)).inflight).toBe(0));
  });

  it("closes at once even with hung requests open", async () => {
    const mock = await start({ hangRate: 1 });
    const pending = chat(mock).catch((error: unknown) => error);
    await eventually(async () => expect((await stats(mock)).inflight).toBe(1));
    const started = Date.now();
    await mock.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it("drops a stream after the first token", async () => {
    const mock = await start({ dropRate: 1 });
    const response = await chat(mock, { stream: true });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let received = "";
    const read = async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        received += Buffer.from(value).toString("utf8");
      }
    };
    await expect(read()).rejects.toThrow();
    expect(received).toContain('"role":"assistant"');
    expect(received).toContain('"content":"[backend=');
    expect(received).not.toContain("[DONE]");
    expect((await stats(mock)).requests.failed).toBe(1);
  });

  it("drops a JSON request before answering", async () => {
    const mock = await start({ dropRate: 1 });
    await expect(chat(mock)).rejects.toThrow();
    await eventually(async () => expect((await stats(mock)).inflight).toBe(0));
  });

  it("answers 429 above --max-inflight", async () => {
    const mock = await start({ maxInflight: 1, firstTokenDelayMs: 150 });
    const [first, second] = await Promise.all([chat(mock), chat(mock)]);
    expect([first.status, second.status].sort()).toEqual([200, 429]);
    const rejected = first.status === 429 ? first : second;
    expect(rejected.headers.get("retry-after")).toBe("1");
    expect(await rejected.json()).toMatchObject({ error: { type: "rate_limit_error" } });
    expect(await stats(mock)).toMatchObject({ inflight: 0, max_inflight_seen: 1 });
  });
});
