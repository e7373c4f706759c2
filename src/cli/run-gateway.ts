/**
 * The gateway process: load and validate config, start the demo mocks when asked (`--demo`),
 * listen, print the READY line, reload on config-file or .env changes, SIGHUP or
 * `POST /admin/reload`, and shut down cleanly on SIGINT/SIGTERM.
 * @module
 */
import { watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { type ConfigSources, configFilePath, loadGatewayConfig } from "../config/load.js";
import { type BackendConfig, backendSchema, type GatewayConfig } from "../config/schema.js";
import { buildGateway } from "../gateway/app.js";
import { createLogger } from "../gateway/logger.js";
import { ownFigures } from "../gateway/own-figures.js";
import { applyConfig, type ReloadSummary } from "../gateway/reload.js";
import { ReloadRefusedError } from "../gateway/reload-guard.js";
import { DEMO_MODEL, launchDemoBackends } from "../gateway-process/demo-backends.js";
import { hasNoBackendSource, noBackendsHint } from "../gateway-process/no-backends-hint.js";
import { mockId } from "../process/mocks.js";
import { clientUrl, formatReadyLine } from "../process/ready-line.js";
import type { FiguresReporter, WorkerFigures } from "../worker-figures/client.js";

const RELOAD_DEBOUNCE_MS = 200;

export interface RunGatewayOptions {
  /**
   * Announces that the gateway answers at `url`. Default: print the READY line. A `--workers`
   * worker tells the primary over IPC instead, and the primary prints one line for all of them.
   */
  onReady?: (url: string) => void;
  /**
   * Given in a `--workers` worker: joins the exchange through which `/stats`, `/status` and
   * `/metrics` gather every worker's figures, answering with this gateway's own.
   */
  shareFigures?: (report: FiguresReporter) => WorkerFigures;
  /** Start the demo mock backends next to whatever is configured (`--demo`). */
  demo?: boolean;
}

export async function runGateway(sources: ConfigSources, options: RunGatewayOptions = {}): Promise<void> {
  const initial = loadGatewayConfig(sources);
  const logger = createLogger(initial.log_level);
  const mocks = options.demo ? await launchDemoBackends() : [];
  const demoBackends: BackendConfig[] = mocks.map((mock, index) =>
    backendSchema.parse({ name: mockId(index), url: mock.ready.url, models: [DEMO_MODEL] }),
  );
  // The demo mocks stay for the life of the process, whatever a reload brings.
  const withDemo = (config: GatewayConfig): GatewayConfig =>
    demoBackends.length > 0 ? { ...config, backends: [...config.backends, ...demoBackends] } : config;
  const stopMocks = () => Promise.all(mocks.map((mock) => mock.stop()));

  let gateway: ReturnType<typeof buildGateway>;
  try {
    gateway = buildGateway(withDemo(initial), logger);
    await gateway.start();
  } catch (error) {
    await stopMocks();
    throw error;
  }
  if (options.shareFigures) gateway.context.workers = options.shareFigures(ownFigures(gateway.context));
  const address = gateway.app.server.address();
  const port = typeof address === "object" && address ? address.port : initial.port;

  let reloading = Promise.resolve<unknown>(undefined);
  const reload = (why: string): Promise<ReloadSummary> => {
    const run = reloading.then(async () => {
      // A bad file throws here, before anything changed: the running configuration keeps serving.
      const next = withDemo(loadGatewayConfig(sources));
      const summary = await applyConfig(gateway.context, next);
      gateway.context.metrics.configReloads.inc(1, "applied");
      logger.info({ why, ...summary }, "configuration reloaded");
      if (summary.needsRestart.length > 0)
        logger.warn({ settings: summary.needsRestart }, "these settings need a restart");
      return summary;
    });
    reloading = run.catch((error: unknown) => {
      gateway.context.metrics.configReloads.inc(1, "refused");
      const err = error instanceof Error ? error.message : String(error);
      // A valid file that would empty the gateway is a judgement call, not a broken file.
      if (error instanceof ReloadRefusedError)
        logger.warn({ why, err }, "reload refused; keeping the running configuration");
      else logger.error({ why, err }, "reload rejected; keeping the running configuration");
    });
    return run;
  };
  gateway.context.reloadConfig = () => reload("admin request");
  process.on("SIGHUP", () => void reload("SIGHUP").catch(() => {}));
  // Its default action would end the process; a rolling restart is the --workers primary's job.
  process.on("SIGUSR2", () => logger.warn("SIGUSR2 ignored: a rolling restart needs gateway --workers"));
  const file = configFilePath(sources);
  const stopWatchingConfig = file
    ? watchFile(file, () => void reload("config file changed").catch(() => {}))
    : () => {};
  // Watched even while absent, so a .env created after start is read without a restart.
  const stopWatchingEnv = sources.envFile
    ? watchFile(sources.envFile.path, () => void reload("env file changed").catch(() => {}))
    : () => {};
  const stopWatching = () => {
    stopWatchingConfig();
    stopWatchingEnv();
  };

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    stopWatching();
    await gateway.close().catch((error: unknown) => logger.error({ err: error }, "error while closing"));
    await stopMocks();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  // Only now: whoever reads READY may stop the process at once, and a signal that comes before
  // these handlers would end it without the graceful close.
  const url = clientUrl(initial.host, port);
  if (options.onReady) options.onReady(url);
  else {
    process.stdout.write(`${formatReadyLine("gateway", "gateway", url)}\n`);
    if (!options.demo && hasNoBackendSource(initial)) process.stderr.write(noBackendsHint(url));
  }
}

/**
 * Calls `onChange` (debounced) when the file is written or replaced. The folder is watched, not the
 * file, because editors and `mv` replace the file with a new inode.
 */
function watchFile(file: string, onChange: () => void): () => void {
  const path = resolve(file);
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dirname(path), (_event, changed) => {
    if (changed !== null && changed.toString() !== name) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, RELOAD_DEBOUNCE_MS);
  });
  watcher.unref();
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
