/**
 * `node dist/bench/soak.js [--minutes N | --seconds N] [--backends 3] [--concurrency 16]`: a soak
 * of the gateway under chaos. Starts mock backends and a gateway on loopback, drives mixed traffic
 * (OpenAI and Anthropic, JSON and SSE) while a chaos loop kills a backend (SIGKILL) and restarts it
 * on the same port, or makes one hang or fail for a few seconds. At most one backend is disturbed
 * at a time, so at least one backend per model is always up.
 *
 * With `--redis` it also starts a private `redis-server` (no persistence) and two gateway replicas
 * sharing it, spreads the traffic over both, and the chaos loop also restarts Redis (SIGKILL or
 * SIGTERM, a pause, then the same port again: an outage that loses every key); the backends get a
 * `max_connections` cap so that every request takes its lease through Redis.
 *
 * Prints requests sent, succeeded and failed by cause (JSON and streams apart; a stream cut by a
 * killed backend is a "stream cut", not a broken contract), retries (`switchyard_retries_total`),
 * each gateway's RSS over time, inflight at the end, with `--redis` the Redis restarts and each
 * replica's `/health` `state` at the end, a verdict, and a final `SOAK_RESULT {json}` line. Exit 0
 * on PASS: no failed non-streaming request, inflight back to 0 and RSS growth < 50 MB on every
 * gateway, and with `--redis` every replica back on Redis (`state: "redis"`, not `degraded`).
 *
 * Three hostile actors stay for the whole run, each on by default: a frozen backend (a mock with
 * `--hang-rate 1`: `--no-frozen`), a huge-body backend answering 8 MiB over the gateway's 1 MiB
 * `max_upstream_body_bytes` (`--no-huge-body`), and clients that ask for 768 KiB answers, pipelined,
 * and never read (`--no-non-readers`: the gateway's 2 s `send_timeout` must close them). The summary
 * adds failures by cause, max RSS, ejections (from `/status`) and the non-reading connections closed.
 *
 * RSS growth is judged between medians of samples taken during the load (rssFigures). Each gateway
 * runs with its inspector on a loopback port, through which the soak forces a full GC after the
 * warm-up and at the end of the load and reads what survives (soak-heap.ts): that figure, not
 * RSS, tells a leak from garbage V8 has not collected yet.
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import { type BenchProcess, readMemory, startGatewayProcess, startProcess, stopAll } from "./processes.js";
import { BenchRedis, redisServerInstalled } from "./redis-server.js";
import { inspectorUrl, type LiveMemory, liveMemoryAfterGc } from "./soak-heap.js";
import { type BodyServer, type NonReaderTally, nonReaders, startBodyServer } from "./soak-hostile.js";

const CLI = fileURLToPath(new URL("../src/cli/index.js", import.meta.url));
const MODEL = "mock-model";
const RSS_LIMIT_MB = 50;
/** The model the non-reading clients ask for: served only by the "wide" in-process backend. */
const WIDE_MODEL = "soak-wide";
const MAX_UPSTREAM_BODY = 1024 * 1024;
const HUGE_BYTES = 8 * 1024 * 1024;
const WIDE_BYTES = 768 * 1024;
const SEND_TIMEOUT_S = 2;

interface Options {
  seconds: number;
  backends: number;
  concurrency: number;
  redis: boolean;
  frozen: boolean;
  hugeBody: boolean;
  nonReaders: boolean;
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
    .option("--redis", "two gateway replicas sharing a private redis-server, which the chaos restarts")
    .option("--no-frozen", "no frozen backend (a mock with --hang-rate 1)")
    .option("--no-huge-body", "no backend answering over max_upstream_body_bytes")
    .option("--no-non-readers", "no clients that never read their answers")
    .parse(argv);
  const raw = program.opts<{
    minutes?: number;
    seconds?: number;
    backends: number;
    concurrency: number;
    redis?: boolean;
    frozen: boolean;
    hugeBody: boolean;
    nonReaders: boolean;
  }>();
  const seconds = raw.seconds ?? (raw.minutes ?? 2) * 60;
  const backends = Math.floor(raw.backends);
  if (backends < 2) throw new InvalidArgumentError("--backends must be at least 2");
  return {
    seconds,
    backends,
    concurrency: Math.floor(raw.concurrency),
    redis: raw.redis === true,
    frozen: raw.frozen,
    hugeBody: raw.hugeBody,
    nonReaders: raw.nonReaders,
  };
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

async function startMock(name: string, port: number, extra: string[] = []): Promise<BenchProcess> {
  return startProcess(`mock ${name}`, CLI, [
    "mock",
    "--port",
    String(port),
    "--id",
    name,
    ...MOCK_FLAGS,
    ...extra,
  ]);
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
  backends: { name: string; healthy: boolean; inflight: number; circuit: string; ejections?: number }[];
}

async function getStatus(base: string): Promise<Status> {
  const response = await fetch(`${base}/status`, { signal: AbortSignal.timeout(5_000) });
  return (await response.json()) as Status;
}

/** The sum of a gateway's samples of one metric, every label set. */
async function metricSum(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== "{" && line[name.length] !== " ")) continue;
    const value = Number(line.trim().split(/\s+/).pop());
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

/**
 * The growth the verdict reads: RSS after a forced GC, end of load against warm-up, when the
 * inspector gave both (garbage not yet collected is then out of the figure); else the medians'.
 */
function judgedGrowthMB(replica: Replica, end: ReplicaEnd): number {
  const { liveAtWarm, liveAtEnd } = replica;
  return liveAtWarm && liveAtEnd ? liveAtEnd.rssMB - liveAtWarm.rssMB : end.rss.growthDuringLoadMB;
}

/** The replica's memory after a forced full GC, through the inspector it was started with. */
async function liveMemory(replica: Replica): Promise<LiveMemory | undefined> {
  const url = inspectorUrl(replica.process.output());
  return url ? liveMemoryAfterGc(url) : undefined;
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
  redisRestarts: number;
  errors: string[];
}

interface Replica {
  process: BenchProcess;
  rss: { t: number; mb: number }[];
  rssAtLoadStart: number;
  /** Seconds (on the samples' scale) when the load started and stopped. */
  loadStartT: number;
  loadStopT: number;
  /** The gateway's memory after a forced full GC (soak-heap.ts), after warm-up and at the end of the load. */
  liveAtWarm?: LiveMemory | undefined;
  liveAtEnd?: LiveMemory | undefined;
}

/** What a replica says at the end: inflight (polled until 0, up to 5 s) and its shared-state view. */
interface ReplicaEnd {
  url: string;
  inflight: number;
  /** `/health` `state`: with --redis polled until `redis`, up to 15 s. */
  state: string;
  status: Status | undefined;
  rss: RssFigures;
}

interface RssFigures {
  startMB: number;
  peakMB: number;
  /** The last sample, taken after the load stopped and the end probes ran. */
  endMB: number;
  growthMB: number;
  /** The last sample against the warm-up window's median (what the verdict read before). */
  growthAfterWarmupMB: number;
  /** Median of the samples 10–20 s into the load. */
  warmMB: number;
  /** Median of the last LOAD_END_SAMPLES samples while the load ran. */
  loadEndMB: number;
  /** The verdict's figure: loadEndMB − warmMB. */
  growthDuringLoadMB: number;
}

/** The hostile backends, outside the chaos loop's reach. */
interface Hostile {
  frozen?: BenchProcess;
  huge?: BodyServer;
  wide?: BodyServer;
}

async function startHostile(options: Options): Promise<Hostile> {
  return {
    frozen: options.frozen ? await startMock("soak-frozen", 0, ["--hang-rate", "1"]) : undefined,
    huge: options.hugeBody ? await startBodyServer(MODEL, HUGE_BYTES) : undefined,
    wide: options.nonReaders ? await startBodyServer(WIDE_MODEL, WIDE_BYTES) : undefined,
  };
}

function hostileBackends(hostile: Hostile): { name: string; url: string; models: string[] }[] {
  return [
    ...(hostile.frozen ? [{ name: "soak-frozen", url: hostile.frozen.url, models: [MODEL] }] : []),
    ...(hostile.huge ? [{ name: "soak-huge", url: hostile.huge.url, models: [MODEL] }] : []),
    ...(hostile.wide ? [{ name: "soak-wide", url: hostile.wide.url, models: [WIDE_MODEL] }] : []),
  ];
}

async function startGateways(
  options: Options,
  backends: readonly Backend[],
  redis: BenchRedis | undefined,
  hostile: Hostile,
): Promise<BenchProcess[]> {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-soak-"));
  const configPath = join(dir, "gateway.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      health_interval: 1,
      // A hung backend is left after 2 s for another, within the request's 10 s deadline.
      request_timeout: 10,
      attempt_timeout: 2,
      max_retries: 3,
      // A short breaker TTL lets a faulted backend back in soon, so the chaos keeps biting.
      circuit_breaker_ttl: 5,
      // Low, so that the hostile actors bite within a short soak.
      first_byte_timeout: 1,
      // Below attempt_timeout: a JSON request on the frozen backend is hedged rather than retried.
      hedge_after: 0.5,
      max_upstream_body_bytes: MAX_UPSTREAM_BODY,
      send_timeout: SEND_TIMEOUT_S,
      backends: [
        ...backends.map((b) => ({
          name: b.name,
          url: b.url,
          models: [MODEL],
          // A cap far above the load: it never refuses, but every request takes its lease in Redis.
          ...(redis ? { max_connections: options.concurrency * 4 } : {}),
        })),
        ...hostileBackends(hostile),
      ],
    }),
  );
  try {
    const replicas = redis ? 2 : 1;
    return await Promise.all(
      Array.from({ length: replicas }, (_, i) =>
        startGatewayProcess(
          `gateway ${i + 1}`,
          CLI,
          configPath,
          redis ? ["--redis", redis.url] : [],
          // The inspector on a loopback port of its own: the soak forces a GC through it (soak-heap.ts).
          { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --inspect=127.0.0.1:0`.trim() },
        ),
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  ms: number,
): Promise<T | undefined> {
  let last: T | undefined;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      last = await read();
      if (done(last)) break;
    } catch {
      // keep polling
    }
    await sleep(200);
  }
  return last;
}

async function healthState(base: string): Promise<string> {
  const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5_000) });
  return ((await response.json()) as { state?: string }).state ?? "?";
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Samples the load-end median is taken over: 10 s, so one GC cycle's sawtooth does not decide it. */
const LOAD_END_SAMPLES = 10;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
};

function rssFigures(replica: Replica): RssFigures {
  const mbs = replica.rss.map((s) => s.mb);
  const start = Number.isFinite(replica.rssAtLoadStart) ? replica.rssAtLoadStart : mbs[0]!;
  const end = mbs.at(-1)!;
  // The heap, JIT code, pools and buffers grow to their working size in the first seconds of load
  // (60 MB and more on a 2-core machine); a leak shows as growth after that. Both ends are medians
  // of samples taken while the load runs: V8 collects lazily, so one sample (and above all the
  // last, after the load stopped, when nothing triggers a collection) reads garbage not yet
  // collected as growth. A leak grows through the load and shows in its last samples just as well.
  const during = replica.rss.filter((s) => s.t >= replica.loadStartT && s.t <= replica.loadStopT);
  const warmWindow = during.filter((s) => s.t >= replica.loadStartT + 10 && s.t < replica.loadStartT + 20);
  const warm = warmWindow.length > 0 ? median(warmWindow.map((s) => s.mb)) : start;
  const loadEnd = during.length > 0 ? median(during.slice(-LOAD_END_SAMPLES).map((s) => s.mb)) : end;
  return {
    startMB: round1(start),
    peakMB: round1(Math.max(...mbs)),
    endMB: round1(end),
    growthMB: round1(end - start),
    growthAfterWarmupMB: round1(end - warm),
    warmMB: round1(warm),
    loadEndMB: round1(loadEnd),
    growthDuringLoadMB: round1(loadEnd - warm),
  };
}

async function soak(options: Options): Promise<boolean> {
  const started = Date.now();
  const log = (message: string) =>
    process.stderr.write(`[soak ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);

  const redis = options.redis ? await BenchRedis.start() : undefined;
  const backends: Backend[] = [];
  for (let i = 0; i < options.backends; i++) {
    const name = `soak-${i + 1}`;
    const mock = await startMock(name, 0);
    backends.push({ name, port: portOf(mock.url), url: mock.url, process: mock });
  }
  const hostile = await startHostile(options);
  const gateways = await startGateways(options, backends, redis, hostile);
  const bases = gateways.map((gateway) => gateway.url);
  log(
    `gateway ${bases.join(" ")}; backends ${backends.map((b) => b.url).join(" ")}` +
      `${redis ? `; redis ${redis.url}` : ""}; ${options.seconds} s`,
  );

  // RSS sampling, every second.
  const replicas: Replica[] = gateways.map((process) => ({
    process,
    rss: [],
    rssAtLoadStart: Number.NaN,
    loadStartT: 0,
    loadStopT: Number.POSITIVE_INFINITY,
  }));
  const elapsedT = () => Math.round((Date.now() - started) / 1000);
  const sampleRss = () => {
    for (const replica of replicas) {
      const memory = readMemory(replica.process.pid);
      if (memory) replica.rss.push({ t: elapsedT(), mb: memory.rssMiB });
    }
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
      // Consecutive requests go to alternate replicas, so each kind reaches both.
      const base = bases[Math.floor(n / KINDS.length) % bases.length]!;
      await oneRequest(kind, base, n, kind.endsWith("sse") ? tallies.stream : tallies.json);
    }
  };

  const chaos: ChaosLog = { kills: 0, hangs: 0, fails: 0, redisRestarts: 0, errors: [] };
  const restartRedis = async (server: BenchRedis) => {
    const signal = chaos.redisRestarts % 2 === 0 ? "SIGKILL" : "SIGTERM";
    log(`chaos: ${signal} redis`);
    chaos.redisRestarts++;
    try {
      await server.stop(signal);
      await sleep(1_000 + Math.random() * 2_000);
    } finally {
      await server.restart();
    }
    log(`chaos: restarted redis on port ${server.port}`);
  };
  const disturbBackend = async (action: number) => {
    const up = backends.filter((b) => b.process);
    if (up.length < 2) return; // never the last one up
    const target = up[Math.floor(Math.random() * up.length)]!;
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
    } finally {
      if (!target.process) await restartMock(target).catch(() => undefined);
    }
  };
  const chaosLoop = async () => {
    let round = 0;
    // Leave the last few seconds calm so every backend (and Redis) is back before the load stops.
    while (Date.now() < deadline - 8_000) {
      await sleep(2_000 + Math.random() * 2_000);
      if (Date.now() >= deadline - 8_000) break;
      // Kill, hang, fail a backend, and with --redis restart Redis (first, so a short run has one), in turn.
      const action = redis ? ([3, 0, 1, 2] as const)[round++ % 4]! : round++ % 3;
      try {
        if (action === 3 && redis) await restartRedis(redis);
        else await disturbBackend(action);
      } catch (error) {
        chaos.errors.push(error instanceof Error ? error.message : String(error));
        log(`chaos error: ${String(error)}`);
      }
    }
  };

  const progress = setInterval(() => {
    const j = tallies.json;
    const s = tallies.stream;
    const rss = replicas.map((r) => r.rss.at(-1)?.mb.toFixed(1)).join("/");
    log(
      `json ${j.succeeded}/${j.sent} failed ${total(j.failed)}; streams ${s.succeeded}/${s.sent} ` +
        `failed ${total(s.failed)} cut ${total(s.cut)}; rss ${rss} MB`,
    );
  }, 10_000);

  for (const replica of replicas) {
    replica.rssAtLoadStart = readMemory(replica.process.pid)?.rssMiB ?? Number.NaN;
    replica.loadStartT = elapsedT();
  }
  // What survives a forced GC after the warm-up and at the end of the load: its growth is what the
  // gateway holds; RSS growth beside a flat figure is garbage not yet collected, or pages kept.
  const heapTimer = setTimeout(() => {
    for (const replica of replicas)
      void liveMemory(replica).then((figures) => {
        replica.liveAtWarm = figures;
      });
    // After the warm-up window the RSS medians read (10-20 s): the forced GC frees pages.
  }, 20_000);
  const nonReading: NonReaderTally = { opened: 0, closed: 0, notClosed: 0 };
  const nonReadingClients = hostile.wide
    ? nonReaders(bases[0]!, WIDE_MODEL, 3, (SEND_TIMEOUT_S + 3) * 1000, deadline, nonReading, WIDE_BYTES)
    : Promise.resolve();
  await Promise.all([chaosLoop(), nonReadingClients, ...Array.from({ length: options.concurrency }, worker)]);
  clearInterval(progress);
  clearTimeout(heapTimer);
  for (const replica of replicas) replica.loadStopT = elapsedT();
  log("load stopped");
  // Read before the end probes, and after the RSS samples of the load: the forced GC frees pages.
  for (const replica of replicas) replica.liveAtEnd = await liveMemory(replica);

  const probes = await Promise.all(
    replicas.map(async (replica): Promise<Omit<ReplicaEnd, "rss">> => {
      const base = replica.process.url;
      const status = await pollUntil(
        () => getStatus(base),
        (s) => s.total_inflight === 0,
        5_000,
      );
      const state = redis
        ? await pollUntil(
            () => healthState(base),
            (s) => s === "redis",
            15_000,
          )
        : await healthState(base).catch(() => undefined);
      return {
        url: base,
        inflight: status?.total_inflight ?? Number.NaN,
        state: state ?? "?",
        status,
      };
    }),
  );
  const sumOver = async (name: string) =>
    (await Promise.all(bases.map((base) => metricSum(base, name).catch(() => Number.NaN)))).reduce(
      (a, b) => a + b,
      0,
    );
  const retried = await sumOver("switchyard_retries_total");
  const hedged = await sumOver("switchyard_hedges_total");
  sampleRss();
  clearInterval(rssTimer);
  const ends: ReplicaEnd[] = probes.map((probe, i) => ({ ...probe, rss: rssFigures(replicas[i]!) }));

  // The replica whose memory grew most stands for all in the summary figures.
  const worst = ends.reduce((a, b) => (b.rss.growthDuringLoadMB > a.rss.growthDuringLoadMB ? b : a));
  const inflight = ends.reduce((sum, end) => sum + end.inflight, 0);
  const ejections = ends.reduce(
    (sum, end) => sum + (end.status?.backends.reduce((n, b) => n + (b.ejections ?? 0), 0) ?? 0),
    0,
  );
  const maxRssMB = round1(Math.max(...ends.map((end) => end.rss.peakMB)));
  await hostile.huge?.close();
  await hostile.wide?.close();
  const jsonFailed = total(tallies.json.failed);
  const checks = {
    zeroJsonFailures: jsonFailed === 0,
    inflightZero: inflight === 0,
    rssGrowthUnder50MB: ends.every((end, i) => judgedGrowthMB(replicas[i]!, end) < RSS_LIMIT_MB),
    ...(redis ? { replicasBackOnRedis: ends.every((end) => end.state === "redis") } : {}),
  };
  const pass = Object.values(checks).every(Boolean);

  const replicaLines = ends.map((end, i) => {
    const backendsLine = end.status?.backends
      .map((b) => `${b.name}:${b.healthy ? "up" : "down"}/${b.circuit}/${b.inflight}`)
      .join(" ");
    const samples = replicas[i]!.rss.filter((_, k) => k % 10 === 0).map((s) => `${s.t}s=${round1(s.mb)}`);
    const live = (figures: LiveMemory | undefined) =>
      figures
        ? `heap used ${figures.heapUsedMB} MB, external ${figures.externalMB} MB, RSS ${figures.rssMB} MB`
        : "?";
    return [
      `  gateway ${i + 1} (${end.url}): state ${end.state}, inflight at end ${end.inflight}; backends ${backendsLine ?? "?"}`,
      `    RSS MB: start ${end.rss.startMB}, peak ${end.rss.peakMB}, warm (median 10-20 s) ${end.rss.warmMB}, load end (median of last ${LOAD_END_SAMPLES} s) ${end.rss.loadEndMB}, growth during load ${end.rss.growthDuringLoadMB}; after the load ${end.rss.endMB} (${end.rss.growthAfterWarmupMB} over warm)`,
      `    RSS over time (every ~10 s): ${samples.join(" ")}`,
      `    after a forced GC: at warm-up ${live(replicas[i]!.liveAtWarm)}; at the end of the load ${live(replicas[i]!.liveAtEnd)}`,
    ].join("\n");
  });
  const lines = [
    "",
    `Soak: ${options.seconds} s, ${options.backends} backends, ${ends.length} gateway${ends.length > 1 ? "s" : ""}${redis ? " sharing Redis" : ""}, concurrency ${options.concurrency}`,
    `  chaos: ${chaos.kills} kill+restart, ${chaos.hangs} hang, ${chaos.fails} fail${redis ? `, ${chaos.redisRestarts} Redis restart` : ""}${chaos.errors.length ? `, ${chaos.errors.length} chaos errors` : ""}`,
    `  requests sent: ${tallies.json.sent + tallies.stream.sent} (${KINDS.map((k) => `${k} ${byKind[k]}`).join(", ")})`,
    `  JSON:    sent ${tallies.json.sent}, succeeded ${tallies.json.succeeded}, failed ${jsonFailed} ${JSON.stringify(tallies.json.failed)}`,
    `  streams: sent ${tallies.stream.sent}, succeeded ${tallies.stream.succeeded}, failed ${total(tallies.stream.failed)} ${JSON.stringify(tallies.stream.failed)}, stream cut ${total(tallies.stream.cut)} ${JSON.stringify(tallies.stream.cut)}`,
    `  retried (switchyard_retries_total): ${retried}; hedged (switchyard_hedges_total): ${hedged}`,
    `  hostile: frozen ${options.frozen ? "on" : "off"}, huge-body ${options.hugeBody ? "on" : "off"}, non-readers ${options.nonReaders ? "on" : "off"}; ejections ${ejections}; non-reading connections ${nonReading.opened}, closed by the gateway ${nonReading.closed}, not closed ${nonReading.notClosed}`,
    `  max RSS ${maxRssMB} MB; inflight at end ${inflight}`,
    ...replicaLines,
    `  ${pass ? "PASS" : "FAIL"}: zero failed JSON requests ${checks.zeroJsonFailures ? "ok" : "NO"}, inflight 0 ${checks.inflightZero ? "ok" : "NO"}, RSS growth after warm-up (${replicas.every((r) => r.liveAtWarm && r.liveAtEnd) ? "after a forced GC" : "load medians"}) < ${RSS_LIMIT_MB} MB ${checks.rssGrowthUnder50MB ? "ok" : "NO"}${redis ? `, replicas back on Redis ${checks.replicasBackOnRedis ? "ok" : "NO"}` : ""}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  const result = {
    pass,
    checks,
    seconds: options.seconds,
    backends: options.backends,
    concurrency: options.concurrency,
    redis: options.redis,
    sent: tallies.json.sent + tallies.stream.sent,
    succeeded: tallies.json.succeeded + tallies.stream.succeeded,
    json: tallies.json,
    stream: tallies.stream,
    byKind,
    chaos,
    retried,
    hedged,
    rss: worst.rss,
    inflightAtEnd: inflight,
    hostile: { frozen: options.frozen, hugeBody: options.hugeBody, nonReaders: options.nonReaders },
    ejections,
    nonReading,
    maxRssMB,
    replicas: ends.map((end, i) => ({
      url: end.url,
      state: end.state,
      inflight: end.inflight,
      rss: end.rss,
      liveAfterGc: { warm: replicas[i]!.liveAtWarm, end: replicas[i]!.liveAtEnd },
    })),
  };
  process.stdout.write(`SOAK_RESULT ${JSON.stringify(result)}\n`);
  return pass;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv);
  if (options.redis && !redisServerInstalled()) {
    process.stderr.write(
      "soak: --redis needs redis-server on PATH (Debian/Ubuntu: apt-get install -y redis-server)\n",
    );
    process.exit(2);
  }
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
