/**
 * `node dist/bench/soak.js [--minutes N | --seconds N] [--backends 3] [--concurrency 16]`: a soak
 * of the gateway under chaos. Starts mock backends and a gateway on loopback, drives mixed traffic
 * (OpenAI and Anthropic, JSON and SSE) while a chaos loop kills a backend (SIGKILL) and restarts it
 * on the same port, or makes one hang or fail for a few seconds. At most one backend is disturbed
 * at a time, so at least one backend per model is always up.
 *
 * Prints requests sent, succeeded and failed by cause (JSON and streams apart; a stream cut by a
 * killed backend is a "stream cut", not a broken contract), retries (`switchyard_retries_total`),
 * the gateway's RSS over time, inflight at the end, a verdict, and a final `SOAK_RESULT {json}`
 * line. Exit 0 on PASS: no failed non-streaming request, inflight back to 0, RSS growth < 50 MB.
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import { type BenchProcess, readMemory, startProcess, stopAll } from "./processes.js";

const CLI = fileURLToPath(new URL("../src/cli/index.js", import.meta.url));
const MODEL = "mock-model";
const RSS_LIMIT_MB = 50;

interface Options {
  seconds: number;
  backends: number;
  concurrency: number;
}

type Kind = "openai-json" | "openai-sse" | "anthropic-json" | "anthropic-sse";
const KINDS: readonly Kind[] = ["openai-json", "openai-sse", "anthropic-json", "anthropic-sse"];

interface Tally {
  sent: number;
  succeeded: number;
  /** Broken contract, by cause (`status 502`, `error TypeError: fetch failed`, ...). */
  failed: Record<string, number>;
  /** Streams only: answered 200 then cut (error event, dropped connection, no end marker). */
  cut: Record<string, number>;
}

const newTally = (): Tally => ({ sent: 0, succeeded: 0, failed: {}, cut: {} });
const bump = (record: Record<string, number>, key: string) => {
  record[key] = (record[key] ?? 0) + 1;
};
const total = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number");
  return n;
}

function parseOptions(argv: string[]): Options {
  const program = new Command()
    .name("soak")
    .option("--minutes <n>", "duration in minutes (default 2)", positive)
    .option("--seconds <n>", "duration in seconds (overrides --minutes)", positive)
    .option("--backends <n>", "mock backends (at least 2)", positive, 3)
    .option("--concurrency <n>", "concurrent clients", positive, 16)
    .parse(argv);
  const raw = program.opts<{ minutes?: number; seconds?: number; backends: number; concurrency: number }>();
  const seconds = raw.seconds ?? (raw.minutes ?? 2) * 60;
  const backends = Math.floor(raw.backends);
  if (backends < 2) throw new InvalidArgumentError("--backends must be at least 2");
  return { seconds, backends, concurrency: Math.floor(raw.concurrency) };
}

// ---------------------------------------------------------------------------------------------
// Processes

interface Backend {
  name: string;
  port: number;
  url: string;
  process: BenchProcess | undefined;
}

const MOCK_FLAGS = ["--first-token-delay-ms", "5", "--token-delay-ms", "5", "--log-level", "warn"];

async function startMock(name: string, port: number): Promise<BenchProcess> {
  return startProcess(`mock ${name}`, CLI, ["mock", "--port", String(port), "--id", name, ...MOCK_FLAGS]);
}

/** Restarts a killed backend on its old port (retrying briefly should the port still be held). */
async function restartMock(backend: Backend): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      backend.process = await startMock(backend.name, backend.port);
      return;
    } catch (error) {
      lastError = error;
      await sleep(500);
    }
  }
  throw lastError;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

// ---------------------------------------------------------------------------------------------
// Traffic

function requestFor(kind: Kind, base: string, n: number): { url: string; init: RequestInit } {
  const stream = kind.endsWith("sse");
  const messages = [{ role: "user", content: `soak request ${n}` }];
  if (kind.startsWith("openai")) {
    return {
      url: `${base}/v1/chat/completions`,
      init: {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: MODEL, messages, max_tokens: 16, stream }),
      },
    };
  }
  return {
    url: `${base}/v1/messages`,
    init: {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: MODEL, max_tokens: 16, messages, stream }),
    },
  };
}

/** Classifies a finished stream body: undefined when complete, else the kind of cut. */
function streamCut(kind: Kind, body: string): string | undefined {
  if (/^event: error/m.test(body) || /^data: \{"error"/m.test(body) || /"type":"error"/.test(body))
    return "error event";
  const ended = kind === "openai-sse" ? body.includes("data: [DONE]") : body.includes("message_stop");
  return ended ? undefined : "no end marker";
}

async function oneRequest(kind: Kind, base: string, n: number, tally: Tally): Promise<void> {
  const { url, init } = requestFor(kind, base, n);
  tally.sent++;
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    bump(tally.failed, `error ${errorKind(error)}`);
    return;
  }
  let body: string;
  try {
    body = await response.text();
  } catch (error) {
    if (response.status === 200 && kind.endsWith("sse")) bump(tally.cut, `connection ${errorKind(error)}`);
    else bump(tally.failed, `body ${errorKind(error)}`);
    return;
  }
  if (response.status !== 200) {
    bump(tally.failed, `status ${response.status}`);
    return;
  }
  if (kind.endsWith("sse")) {
    const cut = streamCut(kind, body);
    if (cut) bump(tally.cut, cut);
    else tally.succeeded++;
    return;
  }
  try {
    const parsed = JSON.parse(body) as { choices?: unknown[]; content?: unknown[] };
    const ok = kind === "openai-json" ? Array.isArray(parsed.choices) : Array.isArray(parsed.content);
    if (ok) tally.succeeded++;
    else bump(tally.failed, "malformed body");
  } catch {
    bump(tally.failed, "invalid JSON");
  }
}

function errorKind(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  const code = cause instanceof Error ? ((cause as Error & { code?: string }).code ?? cause.name) : "";
  return code ? `${error.name}/${code}` : error.name;
}

// ---------------------------------------------------------------------------------------------
// Gateway figures

interface Status {
  total_inflight: number;
  backends: { name: string; healthy: boolean; inflight: number; circuit: string }[];
}

async function getStatus(base: string): Promise<Status> {
  const response = await fetch(`${base}/status`, { signal: AbortSignal.timeout(5_000) });
  return (await response.json()) as Status;
}

async function retries(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("switchyard_retries_total")) continue;
    const value = Number(line.trim().split(/\s+/).pop());
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

async function setFaults(backend: Backend, faults: Record<string, number>): Promise<void> {
  await fetch(`${backend.url}/mock/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(faults),
    signal: AbortSignal.timeout(5_000),
  });
}

const NO_FAULTS = { failRate: 0, hangRate: 0, dropRate: 0 };

// ---------------------------------------------------------------------------------------------
// Main

interface ChaosLog {
  kills: number;
  hangs: number;
  fails: number;
  errors: string[];
}

async function soak(options: Options): Promise<boolean> {
  const started = Date.now();
  const log = (message: string) =>
    process.stderr.write(`[soak ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);

  const backends: Backend[] = [];
  for (let i = 0; i < options.backends; i++) {
    const name = `soak-${i + 1}`;
    const mock = await startMock(name, 0);
    backends.push({ name, port: portOf(mock.url), url: mock.url, process: mock });
  }
  const dir = mkdtempSync(join(tmpdir(), "switchyard-soak-"));
  const configPath = join(dir, "gateway.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      health_interval: 1,
      request_timeout: 2,
      max_retries: 3,
      // A short breaker TTL lets a faulted backend back in soon, so the chaos keeps biting.
      circuit_breaker_ttl: 5,
      backends: backends.map((b) => ({ name: b.name, url: b.url, models: [MODEL] })),
    }),
  );
  const gateway = await startProcess("gateway", CLI, [
    "gateway",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--config",
    configPath,
    "--log-level",
    "warn",
  ]);
  rmSync(dir, { recursive: true, force: true });
  const base = gateway.url;
  log(`gateway ${base}; backends ${backends.map((b) => b.url).join(" ")}; ${options.seconds} s`);

  // RSS sampling, every second.
  const rss: { t: number; mb: number }[] = [];
  const sampleRss = () => {
    const memory = readMemory(gateway.pid);
    if (memory) rss.push({ t: Math.round((Date.now() - started) / 1000), mb: memory.rssMiB });
  };
  sampleRss();
  const rssTimer = setInterval(sampleRss, 1_000);

  const tallies: Record<"json" | "stream", Tally> = { json: newTally(), stream: newTally() };
  const byKind: Record<Kind, number> = {
    "openai-json": 0,
    "openai-sse": 0,
    "anthropic-json": 0,
    "anthropic-sse": 0,
  };
  const deadline = Date.now() + options.seconds * 1000;
  let counter = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const n = counter++;
      const kind = KINDS[n % KINDS.length]!;
      byKind[kind]++;
      await oneRequest(kind, base, n, kind.endsWith("sse") ? tallies.stream : tallies.json);
    }
  };

  const chaos: ChaosLog = { kills: 0, hangs: 0, fails: 0, errors: [] };
  const chaosLoop = async () => {
    let round = 0;
    // Leave the last few seconds calm so every backend is back before the load stops.
    while (Date.now() < deadline - 8_000) {
      await sleep(2_000 + Math.random() * 2_000);
      if (Date.now() >= deadline - 8_000) break;
      const up = backends.filter((b) => b.process);
      if (up.length < 2) continue; // never the last one up
      const target = up[Math.floor(Math.random() * up.length)]!;
      const action = round++ % 3;
      try {
        if (action === 0) {
          log(`chaos: SIGKILL ${target.name}`);
          chaos.kills++;
          const victim = target.process!;
          target.process = undefined;
          process.kill(victim.pid, "SIGKILL");
          await victim.stop();
          await sleep(2_000 + Math.random() * 2_000);
          await restartMock(target);
          log(`chaos: restarted ${target.name} on port ${target.port}`);
        } else {
          const faults: Record<string, number> = action === 1 ? { hangRate: 1 } : { failRate: 1 };
          log(`chaos: ${action === 1 ? "hang" : "fail"} ${target.name}`);
          if (action === 1) chaos.hangs++;
          else chaos.fails++;
          await setFaults(target, faults);
          await sleep(2_000 + Math.random() * 2_000);
          await setFaults(target, NO_FAULTS);
          log(`chaos: restored ${target.name}`);
        }
      } catch (error) {
        chaos.errors.push(error instanceof Error ? error.message : String(error));
        log(`chaos error: ${String(error)}`);
        if (!target.process) await restartMock(target).catch(() => undefined);
      }
    }
  };

  const progress = setInterval(() => {
    const j = tallies.json;
    const s = tallies.stream;
    log(
      `json ${j.succeeded}/${j.sent} failed ${total(j.failed)}; streams ${s.succeeded}/${s.sent} ` +
        `failed ${total(s.failed)} cut ${total(s.cut)}; rss ${rss.at(-1)?.mb.toFixed(1)} MB`,
    );
  }, 10_000);

  const rssAtLoadStart = readMemory(gateway.pid)?.rssMiB ?? Number.NaN;
  await Promise.all([chaosLoop(), ...Array.from({ length: options.concurrency }, worker)]);
  clearInterval(progress);
  log("load stopped");

  // Inflight back to 0, polled up to 5 s.
  let inflight = Number.NaN;
  const pollEnd = Date.now() + 5_000;
  while (Date.now() < pollEnd) {
    try {
      inflight = (await getStatus(base)).total_inflight;
      if (inflight === 0) break;
    } catch {
      // keep polling
    }
    await sleep(200);
  }
  const retried = await retries(base).catch(() => Number.NaN);
  const status = await getStatus(base).catch(() => undefined);
  sampleRss();
  clearInterval(rssTimer);

  const mbs = rss.map((s) => s.mb);
  const rssStart = Number.isFinite(rssAtLoadStart) ? rssAtLoadStart : mbs[0]!;
  const rssEnd = mbs.at(-1)!;
  const rssPeak = Math.max(...mbs);
  const growth = rssEnd - rssStart;
  // Informational: growth after a 10 s warm-up (JIT, pools and buffers settle in the first seconds).
  const warm = rss.find((s) => s.t >= (rss[0]?.t ?? 0) + 10)?.mb ?? rssStart;
  const growthAfterWarmup = rssEnd - warm;
  const jsonFailed = total(tallies.json.failed);
  const checks = {
    zeroJsonFailures: jsonFailed === 0,
    inflightZero: inflight === 0,
    rssGrowthUnder50MB: growth < RSS_LIMIT_MB,
  };
  const pass = Object.values(checks).every(Boolean);
  const round1 = (n: number) => Math.round(n * 10) / 10;

  const lines = [
    "",
    `Soak: ${options.seconds} s, ${options.backends} backends, concurrency ${options.concurrency}`,
    `  chaos: ${chaos.kills} kill+restart, ${chaos.hangs} hang, ${chaos.fails} fail${chaos.errors.length ? `, ${chaos.errors.length} chaos errors` : ""}`,
    `  requests sent: ${tallies.json.sent + tallies.stream.sent} (${KINDS.map((k) => `${k} ${byKind[k]}`).join(", ")})`,
    `  JSON:    sent ${tallies.json.sent}, succeeded ${tallies.json.succeeded}, failed ${jsonFailed} ${JSON.stringify(tallies.json.failed)}`,
    `  streams: sent ${tallies.stream.sent}, succeeded ${tallies.stream.succeeded}, failed ${total(tallies.stream.failed)} ${JSON.stringify(tallies.stream.failed)}, stream cut ${total(tallies.stream.cut)} ${JSON.stringify(tallies.stream.cut)}`,
    `  retried (switchyard_retries_total): ${retried}`,
    `  gateway RSS MB: start ${round1(rssStart)}, peak ${round1(rssPeak)}, end ${round1(rssEnd)}, growth ${round1(growth)} (after 10 s warm-up: ${round1(growthAfterWarmup)})`,
    `  RSS over time (every ~10 s): ${rss
      .filter((_, i) => i % 10 === 0)
      .map((s) => `${s.t}s=${round1(s.mb)}`)
      .join(" ")}`,
    `  inflight at end: ${inflight}; backends ${status?.backends.map((b) => `${b.name}:${b.healthy ? "up" : "down"}/${b.circuit}/${b.inflight}`).join(" ") ?? "?"}`,
    `  ${pass ? "PASS" : "FAIL"}: zero failed JSON requests ${checks.zeroJsonFailures ? "ok" : "NO"}, inflight 0 ${checks.inflightZero ? "ok" : "NO"}, RSS growth < ${RSS_LIMIT_MB} MB ${checks.rssGrowthUnder50MB ? "ok" : "NO"}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  const result = {
    pass,
    checks,
    seconds: options.seconds,
    backends: options.backends,
    concurrency: options.concurrency,
    sent: tallies.json.sent + tallies.stream.sent,
    succeeded: tallies.json.succeeded + tallies.stream.succeeded,
    json: tallies.json,
    stream: tallies.stream,
    byKind,
    chaos,
    retried,
    rss: {
      startMB: round1(rssStart),
      peakMB: round1(rssPeak),
      endMB: round1(rssEnd),
      growthMB: round1(growth),
      growthAfterWarmupMB: round1(growthAfterWarmup),
    },
    inflightAtEnd: inflight,
  };
  process.stdout.write(`SOAK_RESULT ${JSON.stringify(result)}\n`);
  return pass;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv);
  // Bounded in time whatever happens: the load stops at the deadline, then 90 s for the rest.
  const watchdog = setTimeout(
    () => {
      process.stderr.write("soak: watchdog expired, stopping\n");
      void stopAll().finally(() => process.exit(3));
    },
    (options.seconds + 90) * 1000,
  );
  watchdog.unref();
  process.once("SIGINT", () => {
    process.stderr.write("soak: interrupted\n");
    void stopAll().finally(() => process.exit(130));
  });
  let pass = false;
  try {
    pass = await soak(options);
  } finally {
    await stopAll();
  }
  process.exit(pass ? 0 : 1);
}

main().catch(async (error: unknown) => {
  process.stderr.write(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await stopAll();
  process.exit(2);
});
