/**
 * `node dist/bench/state.js [--redis URL] [--ops N] [--concurrency 1,64]`: what a lease costs on
 * the request path, memory store against Redis store, in one process on one machine.
 *
 * For each store and concurrency it runs a closed loop of `acquire` (cap 0, so every call takes a
 * slot) followed by `release`, and prints ops/s of the pair plus p50/p99 latency of `acquire`
 * alone (what a request waits on) and of the pair. Without `--redis` it starts its own
 * `redis-server` on a free port (no persistence) and stops it at the end. Prints figures; never
 * asserts timings.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Command, InvalidArgumentError } from "commander";
import { MemoryStore } from "../src/state/memory.js";
import { RedisStore } from "../src/state/redis.js";
import type { StateStore } from "../src/state/store.js";
import { formatRate, renderTable } from "./format.js";

interface Options {
  redis?: string;
  ops: number;
  concurrency: number[];
  warmup: number;
}

interface Result {
  store: string;
  concurrency: number;
  opsPerSecond: number;
  acquire: { p50: number; p99: number };
  pair: { p50: number; p99: number };
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new InvalidArgumentError(`expected an integer > 0, got "${text}"`);
  return value;
}

function integerList(text: string): number[] {
  return text.split(",").map((part) => positiveInteger(part.trim()));
}

/** Microseconds: store calls are far below the millisecond the shared formatter is made for. */
function formatMicros(milliseconds: number): string {
  return Number.isNaN(milliseconds) ? "-" : (milliseconds * 1_000).toFixed(milliseconds < 0.01 ? 1 : 0);
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

/** Closed loop: `concurrency` workers, each acquire → release until `ops` pairs are done. */
async function measure(name: string, store: StateStore, ops: number, concurrency: number): Promise<Result> {
  const acquireMs = new Float64Array(ops);
  const pairMs = new Float64Array(ops);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < ops; index = next++) {
      const started = performance.now();
      const lease = await store.acquire("bench", 0, 30_000);
      const acquired = performance.now();
      await lease?.release();
      acquireMs[index] = acquired - started;
      pairMs[index] = performance.now() - started;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1_000;
  acquireMs.sort();
  pairMs.sort();
  return {
    store: name,
    concurrency,
    opsPerSecond: ops / seconds,
    acquire: { p50: percentile(acquireMs, 0.5), p99: percentile(acquireMs, 0.99) },
    pair: { p50: percentile(pairMs, 0.5), p99: percentile(pairMs, 0.99) },
  };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return address.port;
}

/** Starts a private redis-server; resolves once a store can use it. */
async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const child = spawn("redis-server", [...args, "--daemonize", "no"], { stdio: "ignore" });
  child.once("error", (error) => {
    console.error(`could not start redis-server (${error.message}); pass --redis URL instead`);
    process.exit(1);
  });
  await sleep(100);
  return { url: `redis://127.0.0.1:${port}`, child };
}

async function main(options: Options): Promise<void> {
  const spawned = options.redis ? undefined : await startRedis();
  const url = options.redis ?? spawned?.url ?? "";
  const redis = await RedisStore.connect({ url, namespace: `bench-${process.pid}`, connectWaitMs: 5_000 });
  if (redis.status() !== "ok") throw new Error(`Redis at ${url} is not reachable`);
  const stores: [string, StateStore][] = [
    ["memory", new MemoryStore()],
    ["redis", redis],
  ];
  const results: Result[] = [];
  try {
    for (const concurrency of options.concurrency) {
      for (const [name, store] of stores) {
        await measure(name, store, options.warmup, concurrency);
        results.push(await measure(name, store, options.ops, concurrency));
      }
    }
  } finally {
    await Promise.all(stores.map(([, store]) => store.close()));
    spawned?.child.kill("SIGTERM");
  }
  console.log(
    `StateStore acquire + release, ${options.ops} pairs per row, Node ${process.version}, Redis ${url}`,
  );
  console.log(
    renderTable(
      ["store", "concurrency", "pairs/s", "acquire p50 µs", "acquire p99 µs", "pair p50 µs", "pair p99 µs"],
      results.map((result) => [
        result.store,
        String(result.concurrency),
        formatRate(result.opsPerSecond),
        formatMicros(result.acquire.p50),
        formatMicros(result.acquire.p99),
        formatMicros(result.pair.p50),
        formatMicros(result.pair.p99),
      ]),
      ["left", "right", "right", "right", "right", "right", "right"],
    ),
  );
}

const program = new Command("bench-state")
  .description("StateStore lease cost: memory against Redis")
  .option("--redis <url>", "use this Redis instead of starting a private redis-server")
  .option("--ops <n>", "acquire+release pairs per measurement", positiveInteger, 20_000)
  .option("--warmup <n>", "pairs run first and not counted", positiveInteger, 2_000)
  .option("--concurrency <list>", "comma-separated concurrencies", integerList, [1, 64]);
program.parse();
await main(program.opts<Options>());
