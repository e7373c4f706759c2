/**
 * What the request ledger's embedded database costs the thread that answers requests: rows are
 * recorded at a steady rate, as a gateway records one per answer, into a Ledger whose PGlite runs
 * in its worker thread (the gateway's way) and then on this thread (the way before), and for each
 * the report gives this thread's CPU per row (from /proc/self/task, so a busy host inflates it far
 * less than wall time), the whole process's CPU per row, and the longest event-loop stall.
 *
 *   npm run build && node dist/bench/ledger-thread.js [--rate 2000] [--seconds 10]
 * @module
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Command } from "commander";
import { Ledger } from "../src/ledger/ledger.js";
import type { LedgerRow } from "../src/ledger/row.js";

const TICK_MS = 10;
/** Clock ticks per second in /proc's stat files: 100 on every Linux Node supports. */
const CLOCK_TICKS = 100;

/** CPU time (user + system) this process's main thread has used, in ms (Linux only). */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

function row(index: number): LedgerRow {
  return {
    id: randomUUID(),
    requestId: `bench-${index}`,
    time: new Date(),
    keyName: "team",
    keyId: "team",
    modelAsked: "m1",
    modelServed: "m1",
    backend: "b1",
    protocol: "openai",
    route: "chat",
    status: 200,
    errorCode: null,
    attempts: 1,
    latencyMs: 1.5,
    ttfbMs: 1,
    inputTokens: 10,
    outputTokens: 20,
    cachedTokens: null,
    reasoningTokens: null,
    costUsd: 0.0001,
    sessionKey: null,
    promptText: null,
    completionText: null,
  };
}

async function measure(where: "worker" | "thread", rate: number, seconds: number) {
  const dir = await mkdtemp(join(tmpdir(), "switchyard-ledger-bench-"));
  const ledger = await Ledger.open({ dir: join(dir, "db"), embeddedOnThisThread: where === "thread" });
  try {
    const delay = monitorEventLoopDelay({ resolution: 1 });
    const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
    const mainBefore = mainThreadCpuMs();
    const processBefore = process.cpuUsage();
    delay.enable();
    let recorded = 0;
    for (let tick = 0; tick < (seconds * 1000) / TICK_MS; tick++) {
      for (let index = 0; index < perTick; index++) ledger.record(row(recorded++));
      await sleep(TICK_MS);
    }
    await ledger.writer.flush();
    delay.disable();
    const processUsed = process.cpuUsage(processBefore);
    return {
      where,
      rows: ledger.writer.written,
      mainThreadUsPerRow: ((mainThreadCpuMs() - mainBefore) * 1000) / recorded,
      processUsPerRow: (processUsed.user + processUsed.system) / recorded,
      stallMaxMs: delay.max / 1e6,
      stallP99Ms: delay.percentile(99) / 1e6,
    };
  } finally {
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const options = new Command("ledger-thread")
  .option("--rate <n>", "rows recorded per second", Number, 2000)
  .option("--seconds <n>", "seconds of recording per variant", Number, 10)
  .parse(process.argv)
  .opts<{ rate: number; seconds: number }>();

console.log(`ledger rows at ${options.rate}/s for ${options.seconds} s, embedded database (PGlite)`);
console.log("where     rows    main-thread µs CPU/row  process µs CPU/row  loop stall p99 / max ms");
for (const where of ["worker", "thread"] as const) {
  const result = await measure(where, options.rate, options.seconds);
  console.log(
    `${result.where.padEnd(8)} ${String(result.rows).padStart(6)}  ${result.mainThreadUsPerRow.toFixed(1).padStart(22)}  ` +
      `${result.processUsPerRow.toFixed(1).padStart(18)}  ${result.stallP99Ms.toFixed(1)} / ${result.stallMaxMs.toFixed(1)}`,
  );
}
