/**
 * `node dist/bench/streams.js [--streams 10000] [--http2-streams 100] [--opening 250]`: how many
 * concurrent chat streams one gateway process carries to an HTTP/2 upstream. Starts an in-bench
 * h2 TLS backend (h2-upstream.ts) that sends each stream's first chunk at once and holds the rest,
 * a gateway trusting its certificate (NODE_EXTRA_CA_CERTS), then opens N client streams over
 * HTTP/1.1 on loopback, one connection each, at most `--opening` waiting for their first byte at a
 * time. When every stream has its first byte (or none arrived for `--stall-seconds`), it reads
 * the gateway's `/status`, lets the backend finish, and waits for every stream to end.
 *
 * Prints streams with a first byte, streams completed, upstream connections used, the most
 * streams the backend saw open at once, the gateway's RSS (baseline, peak while sampling, the
 * kernel's high-water mark) and a final `STREAMS_RESULT {json}` line. Exit 0 when every stream got
 * its first byte and completed and the peak RSS stayed under `--rss-limit-mb` (default 1024).
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import { Client } from "undici";
import { type H2Upstream, startH2Upstream } from "./h2-upstream.js";
import { type BenchProcess, readMemory, startProcess, stopAll } from "./processes.js";
import { selfSignedCertificate, writeCaFile } from "./tls-cert.js";

const CLI = fileURLToPath(new URL("../src/cli/index.js", import.meta.url));
const MODEL = "bench-h2";

interface Options {
  streams: number;
  http2Streams: number;
  opening: number;
  stallSeconds: number;
  rssLimitMb: number;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

function parseOptions(argv: string[]): Options {
  const raw = new Command()
    .name("streams")
    .option("--streams <n>", "concurrent client streams", positive, 10_000)
    .option("--http2-streams <n>", "the gateway's upstream_http2_streams", positive, 100)
    .option("--opening <n>", "streams waiting for their first byte at a time", positive, 250)
    .option("--stall-seconds <n>", "give up when no first byte arrived for this long", positive, 30)
    .option("--rss-limit-mb <n>", "the gateway's peak RSS allowed for a pass", positive, 1024)
    .parse(argv)
    .opts<Options>();
  return raw;
}

interface Tally {
  firstBytes: number;
  completed: number;
  failed: number;
  errors: Map<string, number>;
}

/** Resolves when the stream's first body byte arrives; `done` when its body ends. */
function openStream(url: string, tally: Tally): { firstByte: Promise<void>; done: Promise<void> } {
  const client = new Client(url, { headersTimeout: 0, bodyTimeout: 0 });
  let markFirst: () => void = () => undefined;
  const firstByte = new Promise<void>((resolve) => (markFirst = resolve));
  const fail = (error: unknown) => {
    tally.failed += 1;
    const key = (error as { code?: string })?.code ?? String((error as Error)?.message ?? error).slice(0, 60);
    tally.errors.set(key, (tally.errors.get(key) ?? 0) + 1);
    markFirst();
  };
  const done = client
    .request({
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: "user", content: "hi" }] }),
    })
    .then(async (response) => {
      if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
      let first = true;
      let text = "";
      for await (const chunk of response.body) {
        if (first) {
          first = false;
          tally.firstBytes += 1;
          markFirst();
        }
        text = (text + (chunk as Buffer).toString("utf8")).slice(-64);
      }
      if (!text.includes("[DONE]")) throw new Error("stream ended without [DONE]");
      tally.completed += 1;
    })
    .catch(fail)
    .finally(() => client.destroy().catch(() => undefined));
  return { firstByte, done };
}

interface RssWatch {
  peakMiB: number;
  stop(): void;
}

function watchRss(pid: number): RssWatch {
  const watch: RssWatch = { peakMiB: 0, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    const memory = readMemory(pid);
    if (memory) watch.peakMiB = Math.max(watch.peakMiB, memory.rssMiB);
  }, 200);
  return watch;
}

async function startGateway(upstream: H2Upstream, options: Options): Promise<BenchProcess> {
  return startProcess("gateway", CLI, [
    "gateway",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--log-level",
    "error",
    "--health-interval",
    "0",
    "--load-interval",
    "0",
    "--max-client-connections",
    "0",
    "--upstream-http2-streams",
    String(options.http2Streams),
    "--backend",
    `hosted=${upstream.url}`,
  ]);
}

interface Upstream {
  protocol?: string;
  connected: number;
  running: number;
  queued: number;
}

async function upstreamFigures(url: string): Promise<Upstream | undefined> {
  const response = await fetch(`${url}/status`).catch(() => undefined);
  if (!response?.ok) return undefined;
  const body = (await response.json()) as { backends?: { upstream?: Upstream }[] };
  return body.backends?.[0]?.upstream;
}

async function bench(options: Options): Promise<boolean> {
  const certificate = selfSignedCertificate();
  const ca = writeCaFile(certificate);
  // Inherited by the gateway child: it trusts the in-bench backend's certificate.
  process.env.NODE_EXTRA_CA_CERTS = ca.path;
  const upstream = await startH2Upstream({
    certificate,
    model: MODEL,
    hold: true,
    tokens: 3,
    tokenDelayMs: 5,
  });
  try {
    const gateway = await startGateway(upstream, options);
    // A warm-up stream, so the baseline includes the learnt h2 connection and a compiled hot path.
    upstream.release();
    const warm: Tally = { firstBytes: 0, completed: 0, failed: 0, errors: new Map() };
    await openStream(gateway.url, warm).done;
    await sleep(500);
    const baselineMiB = readMemory(gateway.pid)?.rssMiB ?? Number.NaN;
    upstream.hold();

    const rss = watchRss(gateway.pid);
    const tally: Tally = { firstBytes: 0, completed: 0, failed: 0, errors: new Map() };
    const started = performance.now();
    const streams: Promise<void>[] = [];
    let opening = 0;
    let lastProgress = performance.now();
    let lastFirstBytes = 0;
    for (let i = 0; i < options.streams; i += 1) {
      while (opening >= options.opening) {
        await sleep(5);
        if (tally.firstBytes !== lastFirstBytes) {
          lastFirstBytes = tally.firstBytes;
          lastProgress = performance.now();
        }
        if (performance.now() - lastProgress > options.stallSeconds * 1000) break;
      }
      if (performance.now() - lastProgress > options.stallSeconds * 1000) break;
      opening += 1;
      const stream = openStream(gateway.url, tally);
      stream.firstByte.then(() => (opening -= 1));
      streams.push(stream.done);
    }
    const opened = streams.length;
    while (tally.firstBytes + tally.failed < opened) {
      if (tally.firstBytes !== lastFirstBytes) {
        lastFirstBytes = tally.firstBytes;
        lastProgress = performance.now();
      }
      if (performance.now() - lastProgress > options.stallSeconds * 1000) break;
      await sleep(20);
    }
    const allOpenMs = performance.now() - started;
    const figures = await upstreamFigures(gateway.url);
    const atPeak = readMemory(gateway.pid);
    upstream.release();
    await Promise.race([Promise.all(streams), sleep(120_000)]);
    rss.stop();
    const after = readMemory(gateway.pid);
    const result = {
      streams: options.streams,
      opened,
      firstBytes: tally.firstBytes,
      completed: tally.completed,
      failed: tally.failed,
      errors: Object.fromEntries(tally.errors),
      secondsToOpenAll: Math.round(allOpenMs / 100) / 10,
      upstreamConnections: upstream.connections(),
      upstreamPeakStreams: upstream.peakStreams(),
      gatewayUpstream: figures,
      rssBaselineMiB: round(baselineMiB),
      rssAtAllOpenMiB: round(atPeak?.rssMiB ?? Number.NaN),
      rssPeakSampledMiB: round(rss.peakMiB),
      rssHighWaterMiB: round(after?.peakMiB ?? Number.NaN),
      rssAfterMiB: round(after?.rssMiB ?? Number.NaN),
    };
    const peak = Math.max(result.rssPeakSampledMiB, result.rssHighWaterMiB);
    const pass =
      result.firstBytes === options.streams &&
      result.completed === options.streams &&
      peak < options.rssLimitMb;
    process.stdout.write(
      [
        `streams: ${result.firstBytes}/${options.streams} got their first byte, ${result.completed} completed, ${result.failed} failed ${JSON.stringify(result.errors)}`,
        `opened in ${result.secondsToOpenAll} s; upstream: ${result.upstreamConnections} connections, ${result.upstreamPeakStreams} streams open at once; gateway saw ${JSON.stringify(figures)}`,
        `gateway RSS: baseline ${result.rssBaselineMiB} MiB, all open ${result.rssAtAllOpenMiB} MiB, peak ${peak} MiB, after ${result.rssAfterMiB} MiB`,
        `${pass ? "PASS" : "FAIL"}`,
        `STREAMS_RESULT ${JSON.stringify(result)}`,
        "",
      ].join("\n"),
    );
    return pass;
  } finally {
    await stopAll();
    await upstream.close();
    ca.remove();
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv);
  process.once("SIGINT", () => {
    process.stderr.write("streams: interrupted\n");
    void stopAll().finally(() => process.exit(130));
  });
  const pass = await bench(options);
  process.exit(pass ? 0 : 1);
}

main().catch(async (error: unknown) => {
  process.stderr.write(
    `streams: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  await stopAll();
  process.exit(2);
});
