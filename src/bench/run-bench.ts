/**
 * One bench run, start to finish: plan the workload, drive the load with a token-reading observer
 * per request, keep the live view fed, stop cleanly on Ctrl-C (once: stop sending and let requests in
 * flight finish; twice: abort them; either way the report is still written), then print the summary
 * and write report.json and report.html.
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { prefixCacheGrowth, readPrefixCaches } from "./engine-metrics.js";
import { type LiveState, liveState } from "./live/live-figures.js";
import { PlainView } from "./live/plain-view.js";
import type { LiveView } from "./live/view.js";
import { LlmObserver, type ObserverContext } from "./llm/observer.js";
import { loadPrompts } from "./llm/prompts-file.js";
import { seededRandom } from "./llm/synthetic-prompt.js";
import { Workload } from "./llm/workload.js";
import { runLoad } from "./load.js";
import type { LoadProgress, LoadResult } from "./load-types.js";
import type { BenchOptions } from "./options.js";
import { buildReport } from "./report/build-report.js";
import { benchEnvironment } from "./report/environment.js";
import { renderReportHtml } from "./report/report-html.js";
import type { BenchReport } from "./report/report-types.js";
import { renderSummaryText } from "./report/summary-text.js";
import { BenchStats } from "./stats/bench-stats.js";
import { parseTarget } from "./target.js";

export interface BenchIo {
  /** Where the live view and the summary go; the ink view needs a TTY (`options.view === "tui"`). */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

async function openView(options: BenchOptions, io: BenchIo): Promise<LiveView> {
  if (options.view === "plain") return new PlainView(io.stdout, options.intervalS * 1000);
  // ink and React load only when a terminal will show them.
  const { InkView } = await import("./live/ink-view.js");
  return new InkView(io.stdout as NodeJS.WriteStream);
}

/**
 * Ctrl-C once stops sending (`onStop` tells the user), twice aborts requests in flight, a third time
 * exits at once. SIGTERM aborts at once; the report is still written.
 */
function interruptHandling(onStop: () => void) {
  const stop = new AbortController();
  const abort = new AbortController();
  let presses = 0;
  const onInterrupt = (signal: NodeJS.Signals) => {
    presses++;
    if (signal === "SIGTERM" || presses === 2) {
      abort.abort();
      stop.abort();
    } else if (presses === 1) {
      stop.abort();
      onStop();
    } else process.exit(130);
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);
  return {
    stop,
    abort,
    get interrupted() {
      return presses > 0;
    },
    dispose() {
      process.off("SIGINT", onInterrupt);
      process.off("SIGTERM", onInterrupt);
    },
  };
}

/** Writes report.json and report.html into `directory` (created if missing); returns their paths. */
export async function writeReport(report: BenchReport, directory: string): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const json = join(directory, "report.json");
  const html = join(directory, "report.html");
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, renderReportHtml(report));
  return [json, html];
}

export async function runBench(options: BenchOptions, io: BenchIo): Promise<BenchReport> {
  const prompts = options.promptsFile ? await loadPrompts(options.promptsFile) : undefined;
  const target = parseTarget(options.url);
  const models = options.models.map((entry) => entry.model);
  const stats = new BenchStats(models, options.slo);
  const workload = new Workload({
    protocol: options.protocol,
    stream: options.stream,
    models: options.models,
    promptTokens: options.promptTokens,
    outputTokens: options.outputTokens,
    maxTokens: options.maxTokens,
    prompts,
    apiKey: options.apiKey,
    basePath: target.basePath,
    seed: options.seed,
    workload: options.workload,
    shape: { sessions: options.sessions },
    thinkMs: options.thinkMs,
  });
  const cacheBefore = await readPrefixCaches(options.engineMetrics);
  const warmupMs = options.warmupS * 1000;
  const context: ObserverContext = {
    protocol: options.protocol,
    defaultBackend: target.label,
    originAt: performance.now() + warmupMs,
    record: (sample) => stats.record(sample),
  };
  let progress: LoadProgress | undefined;
  const view = await openView(options, io);
  const state = (final = false): LiveState => {
    const live = liveState(
      stats,
      progress,
      { durationS: options.durationS, warmupS: options.warmupS, stopping: interrupt.interrupted },
      performance.now() - context.originAt,
    );
    return final ? { ...live, phase: "done", inflight: 0 } : live;
  };
  // The live view says "stopping" itself; a line on stderr would tear its frame.
  const interrupt = interruptHandling(() => {
    if (options.view === "tui") view.update(state());
    else
      io.stderr.write(
        `stopping: waiting for ${progress?.inflight ?? 0} requests in flight (Ctrl-C again to abort them)\n`,
      );
  });
  const ticker = setInterval(() => view.update(state()), view.intervalMs);
  const startedAt = new Date();
  const mode =
    options.mode.kind === "closed" && options.thinkMs !== undefined
      ? { ...options.mode, thinkMs: (worker: number) => workload.thinkTime(worker) }
      : options.mode;
  const connections = mode.kind === "closed" ? mode.concurrency : (mode.maxInflight ?? 1024);
  let result: LoadResult;
  try {
    // The run's window starts when runLoad starts (synchronously), not before the view loaded.
    context.originAt = performance.now() + warmupMs;
    result = await runLoad({
      url: target.origin,
      request: (index, worker) => workload.at(index, worker).spec,
      observe: (index, worker) => new LlmObserver(workload.at(index, worker).model, context),
      mode,
      connections,
      durationMs: options.durationS * 1000,
      ...(options.requests !== undefined ? { requests: options.requests } : {}),
      warmupMs,
      timeoutMs: options.timeoutS * 1000,
      drainTimeoutMs: options.timeoutS * 1000,
      signal: interrupt.abort.signal,
      stopSignal: interrupt.stop.signal,
      onProgress: (update) => {
        progress = update;
      },
      progressIntervalMs: 200,
      random: seededRandom(options.seed ^ 0x5bd1e995),
    });
  } finally {
    clearInterval(ticker);
    interrupt.dispose();
    // The terminal is released even when the run failed, so the error is readable.
    await view.stop(state(true));
  }
  const prefixCache = prefixCacheGrowth(cacheBefore, await readPrefixCaches(options.engineMetrics));
  const report = buildReport({
    options,
    prefixCache,
    stats,
    elapsedMs: result.elapsedMs,
    startedAt,
    finishedAt: new Date(),
    interrupted: interrupt.interrupted,
    environment: benchEnvironment(),
  });
  io.stdout.write(`${renderSummaryText(report)}\n`);
  if (options.outDir) {
    const files = await writeReport(report, options.outDir);
    io.stdout.write(`report: ${files.join(", ")}\n`);
  }
  return report;
}
