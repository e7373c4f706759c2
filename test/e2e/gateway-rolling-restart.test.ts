/**
 * `gateway --workers 2` and SIGUSR2: the primary replaces its workers one at a time while clients
 * keep sending JSON and streamed chat completions over kept-alive connections through the one
 * port. Two rolling restarts in a row, and not one request may fail: every answer is a 200, every
 * stream ends with [DONE].
 */
import { Pool } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { eventually } from "../helpers/http.js";
import { childPids } from "../helpers/process-tree.js";
import { writeTempConfig } from "../helpers/temp-config.js";

const configs: { remove(): void }[] = [];
afterAll(async () => {
  await stopAll();
  for (const config of configs) config.remove();
});

interface Load {
  succeeded: number;
  failures: string[];
}

const chatBody = (stream: boolean, n: number) =>
  JSON.stringify({ model: "mock-model", stream, messages: [{ role: "user", content: `rolling ${n}` }] });

/** One kept-alive undici client: alternates JSON and SSE chat completions until `running()` is false. */
async function undiciLoop(pool: Pool, load: Load, running: () => boolean): Promise<void> {
  for (let n = 0; running(); n++) {
    const stream = n % 2 === 1;
    try {
      const response = await pool.request({
        path: "/v1/chat/completions",
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chatBody(stream, n),
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) load.failures.push(`undici status ${response.statusCode}: ${text}`);
      else if (stream && !text.trimEnd().endsWith("data: [DONE]"))
        load.failures.push(`undici stream cut: ${text}`);
      else load.succeeded++;
    } catch (error) {
      load.failures.push(`undici ${stream ? "stream" : "json"}: ${String(error)}`);
    }
  }
}

/** The same through fetch (Node's global keep-alive dispatcher). */
async function fetchLoop(base: string, load: Load, running: () => boolean): Promise<void> {
  for (let n = 0; running(); n++) {
    const stream = n % 2 === 0;
    try {
      const response = await fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chatBody(stream, n),
      });
      const text = await response.text();
      if (response.status !== 200) load.failures.push(`fetch status ${response.status}: ${text}`);
      else if (stream && !text.trimEnd().endsWith("data: [DONE]"))
        load.failures.push(`fetch stream cut: ${text}`);
      else load.succeeded++;
    } catch (error) {
      load.failures.push(
        `fetch ${stream ? "stream" : "json"}: ${String(error)} ${String((error as Error).cause)}`,
      );
    }
  }
}

const rollsDone = (gateway: CliProcess) => gateway.output().split("rolling restart: done").length - 1;

async function rollAndWait(gateway: CliProcess): Promise<void> {
  const done = rollsDone(gateway);
  const primary = gateway.child.pid!;
  const before = await childPids(primary);
  expect(before).toHaveLength(2);
  gateway.child.kill("SIGUSR2");
  // Done when two workers run and neither is one of the old ones.
  await eventually(
    async () => {
      const now = await childPids(primary);
      return now.length === 2 && now.every((pid) => !before.includes(pid));
    },
    60_000,
    100,
  );
  await eventually(() => rollsDone(gateway) === done + 1, 20_000);
}

describe("gateway --workers rolling restart (SIGUSR2)", () => {
  it("replaces every worker twice under keep-alive load without failing a request", async () => {
    const mocks = await Promise.all(
      ["a", "b"].map((id) => startCli(["mock", "--port", "0", "--id", id, "--token-delay-ms", "5"])),
    );
    const config = writeTempConfig({
      backends: mocks.map((mock) => ({
        name: mock.ready[0]!.id,
        url: mock.ready[0]!.url,
        models: ["mock-model"],
      })),
    });
    configs.push(config);
    const gateway = await startCli(
      ["gateway", "--workers", "2", "--port", "0", "--config", config.path, "--log-level", "info"],
      { timeoutMs: 30_000 },
    );
    const base = gateway.ready[0]!.url;

    const load: Load = { succeeded: 0, failures: [] };
    let running = true;
    const pools = [new Pool(base, { connections: 2 }), new Pool(base, { connections: 2 })];
    const loops = [
      ...pools.flatMap((pool) => [
        undiciLoop(pool, load, () => running),
        undiciLoop(pool, load, () => running),
      ]),
      fetchLoop(base, load, () => running),
      fetchLoop(base, load, () => running),
    ];
    try {
      await eventually(() => load.succeeded >= 20, 20_000);
      for (let round = 0; round < 2; round++) {
        await rollAndWait(gateway);
        const afterRoll = load.succeeded;
        // The new workers serve: more requests succeed after the roll than before it ended.
        await eventually(() => load.succeeded >= afterRoll + 20, 20_000);
      }
    } finally {
      running = false;
      await Promise.all(loops);
      await Promise.all(pools.map((pool) => pool.close()));
    }
    expect(load.failures, gateway.output().slice(-4_000)).toEqual([]);
    expect(await gateway.stop("SIGTERM")).toBe(0);
  }, 180_000);
});
