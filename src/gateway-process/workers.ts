/**
 * `switchyard gateway --workers N`: one gateway per core behind one port, with `node:cluster`.
 *
 * The primary validates the config, picks the port (a free one when `--port 0`, so every worker and
 * the READY line agree on it), forks N workers that each run the full gateway on that port (the
 * cluster shares the listening socket; connections are spread round-robin by the primary), prints
 * ONE `READY gateway url=…` line once every worker listens, restarts a worker that dies, and on
 * SIGINT/SIGTERM sends each worker SIGTERM (its graceful drain) and exits 0 when all are gone.
 * SIGHUP is forwarded to every worker (each reloads its config). SIGUSR2 starts a rolling restart
 * (rolling-restart.ts): workers are replaced one at a time without losing a request, which also
 * deploys the code now on disk. A worker whose primary dies (even by SIGKILL) exits by itself:
 * node:cluster ends a worker whose IPC channel drops (about 2 s here).
 *
 * State that must be exact across workers (global caps, circuit breakers, runtime registrations)
 * is shared through `--redis` when set; without it the primary holds it and serves it to the
 * workers over IPC (state/ipc-host.ts). Strategy state (round-robin cursors) stays per worker.
 * `/stats`, `/status` and `/metrics` show every worker's figures merged: the worker that answers
 * gathers them through the primary (worker-figures/relay.ts) only when one of them is called.
 * @module
 */
import cluster, { type Worker } from "node:cluster";
import { once } from "node:events";
import { createServer } from "node:net";
import { type ConfigSources, loadGatewayConfig } from "../config/load.js";
import { hostLedgerForWorkers, LEDGER_HOST_ENV } from "../gateway/ledger-ipc.js";
import { createLogger } from "../gateway/logger.js";
import { newWorkersSealKey, WORKERS_SEAL_KEY_ENV } from "../gateway/reasoning-seal-key.js";
import { embeddedDir, ledgerEnabled } from "../gateway/request-ledger.js";
import { clientUrl, formatReadyLine } from "../process/ready-line.js";
import { EXIT_WITH_PARENT_ENV } from "../process/spawn-server.js";
import { hostStateForWorkers } from "../state/ipc-host.js";
import { channelPort } from "../state/ipc-port.js";
import { responseStoreLimits } from "../state/response-store/factory.js";
import { hostResponsesForWorkers } from "../state/response-store/ipc-host.js";
import { hostUsageForWorkers } from "../state/usage-host.js";
import { type FiguresReporter, joinWorkerFigures, type WorkerFigures } from "../worker-figures/client.js";
import { relayFiguresForWorkers } from "../worker-figures/relay.js";
import { launchDemoBackends } from "./demo-backends.js";
import { hasNoBackendSource, noBackendsHint } from "./no-backends-hint.js";
import { rollWorkers } from "./rolling-restart.js";
import { WORKER_PORT_ENV } from "./worker-role.js";

/** Set by the primary: extra `--backend` specs (JSON list), the `--demo` mocks it started. */
export const WORKER_BACKENDS_ENV = "SWITCHYARD_WORKER_BACKENDS";
/** Set by the primary: the worker's slot, 1…N, which its replacements keep. */
export const WORKER_SLOT_ENV = "SWITCHYARD_WORKER_SLOT";
/** The IPC message a worker sends once its gateway listens. */
const READY_MESSAGE = "switchyard:worker-ready";

/** A rolling restart gives up on a replacement that does not listen within this time. */
const REPLACEMENT_READY_TIMEOUT_MS = 60_000;
/** More unexpected worker deaths than this many per worker within a minute stops the gateway. */
const MAX_RESTARTS_PER_WORKER_PER_MINUTE = 5;

/** The worker's side: the sources it runs the gateway with, and how it announces readiness. */
export function workerGatewaySources(sources: ConfigSources): ConfigSources {
  const port = Number(process.env[WORKER_PORT_ENV]);
  const extra = process.env[WORKER_BACKENDS_ENV];
  const embedded = extra ? (JSON.parse(extra) as string[]) : [];
  return {
    ...sources,
    flags: { ...sources.flags, port },
    backendSpecs: [...(sources.backendSpecs ?? []), ...embedded],
  };
}

/** The worker's side of the exchange that lets `/stats`, `/status` and `/metrics` show every worker. */
export function shareWorkerFigures(report: FiguresReporter): WorkerFigures {
  return joinWorkerFigures(channelPort(process), Number(process.env[WORKER_SLOT_ENV] ?? 0), report);
}

export function announceWorkerReady(url: string): void {
  process.send?.({ type: READY_MESSAGE, url });
}

function isReadyMessage(message: unknown): boolean {
  return (
    typeof message === "object" && message !== null && (message as { type?: unknown }).type === READY_MESSAGE
  );
}

export async function runGatewayPrimary(
  sources: ConfigSources,
  workers: number,
  options: { demo?: boolean } = {},
): Promise<void> {
  // Validate once here, so a bad config fails with one message instead of N crashing workers.
  const config = loadGatewayConfig(sources);
  const logger = createLogger(config.log_level);
  // PGlite belongs to one process: the primary opens the embedded ledger, its workers write through it.
  const ledgerHost =
    ledgerEnabled(config) && config.database_url === undefined
      ? await hostLedgerForWorkers(embeddedDir(config.ledger_dir), (error) =>
          logger.warn({ err: error }, "ledger: database trouble"),
        )
      : undefined;
  // Without Redis the primary holds the state workers must agree on and serves it to them over IPC.
  const stateEnv = config.redis
    ? {}
    : hostStateForWorkers((error) => logger.warn({ err: error }, "shared state error"));
  // Likewise the stored responses (store: true), so a chain may continue on any worker.
  const responsesEnv = config.redis
    ? {}
    : hostResponsesForWorkers(responseStoreLimits(config), {
        onError: (error) => logger.warn({ err: error }, "response store error"),
      });
  // And the runtime keys and budget counters, so a key and a budget hold on every worker alike.
  const usageEnv = config.redis
    ? {}
    : hostUsageForWorkers((error) => logger.warn({ err: error }, "runtime keys or budgets error"));
  // Any worker may answer /stats, /status or /metrics: it gathers the others' figures through here.
  relayFiguresForWorkers();
  const port = config.port === 0 ? await pickFreePort(config.host) : config.port;
  // One set of demo mocks for all workers, not one per worker.
  const mocks = options.demo ? await launchDemoBackends() : [];
  const workerEnv: Record<string, string> = {
    [WORKER_PORT_ENV]: String(port),
    [EXIT_WITH_PARENT_ENV]: "0",
    [WORKER_BACKENDS_ENV]: JSON.stringify(mocks.map((mock) => `${mock.ready.id}=${mock.ready.url}`)),
    ...stateEnv,
    ...responsesEnv,
    ...usageEnv,
    ...(ledgerHost ? { [LEDGER_HOST_ENV]: "ipc" } : {}),
    // Reasoning sealed by one worker must open on whichever worker gets the next turn.
    [WORKERS_SEAL_KEY_ENV]: newWorkersSealKey(),
  };

  const url = clientUrl(config.host, port);
  const slots = new Map<Worker, number>();
  const readySlots = new Set<number>();
  let announced = false;
  let stopping = false;
  let restarts: number[] = [];
  /** Workers a rolling restart replaces or is starting: their exit starts no other worker. */
  const expectedExits = new Set<Worker>();
  let rolling = false;

  const fork = (slot: number): Worker => {
    const worker = cluster.fork({ ...workerEnv, [WORKER_SLOT_ENV]: String(slot + 1) });
    slots.set(worker, slot);
    worker.on("message", (message: unknown) => {
      if (!isReadyMessage(message)) return;
      if (announced) {
        logger.info({ worker: slot + 1, pid: worker.process.pid }, "replacement worker ready");
        return;
      }
      readySlots.add(slot);
      if (readySlots.size === workers) {
        announced = true;
        logger.info({ workers, url }, "all workers listening");
        process.stdout.write(`${formatReadyLine("gateway", "gateway", url)}\n`);
        if (!options.demo && hasNoBackendSource(config)) process.stderr.write(noBackendsHint(url));
      }
    });
    return worker;
  };

  const stopWorker = async (worker: Worker, timeoutMs: number) => {
    if (worker.isDead()) return;
    const exited = once(worker, "exit");
    worker.process.kill("SIGTERM");
    const killer = setTimeout(() => worker.process.kill("SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(killer);
  };
  const shutdown = async (signal: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down the workers");
    const alive = [...slots.keys()].filter((worker) => !worker.isDead());
    const graceMs = (config.shutdown_timeout + 5) * 1000;
    await Promise.all(alive.map((worker) => stopWorker(worker, graceMs)));
    await Promise.all(mocks.map((mock) => mock.stop()));
    // The workers flushed their rows through it as they drained.
    await ledgerHost?.close().catch(() => {});
    process.exit(exitCode);
  };

  cluster.on("exit", (worker, code, signal) => {
    const slot = slots.get(worker) ?? 0;
    slots.delete(worker);
    if (stopping || expectedExits.delete(worker)) return;
    if (!announced) {
      logger.error({ worker: slot + 1, code, signal }, "a worker exited before it was ready");
      void shutdown("worker start failure", 1);
      return;
    }
    const now = Date.now();
    restarts = [...restarts.filter((at) => now - at < 60_000), now];
    if (restarts.length > MAX_RESTARTS_PER_WORKER_PER_MINUTE * workers) {
      logger.error({ restarts: restarts.length }, "workers keep dying; stopping the gateway");
      void shutdown("restart loop", 1);
      return;
    }
    // Back off a little once deaths pile up, so a crash loop does not spin the CPU.
    const delayMs = restarts.length > workers ? 1_000 : 0;
    logger.warn(
      { worker: slot + 1, pid: worker.process.pid, code, signal, delayMs },
      "worker died; starting a replacement",
    );
    setTimeout(() => {
      if (!stopping) fork(slot);
    }, delayMs);
  });

  process.on("SIGINT", () => void shutdown("SIGINT", 0));
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));
  process.on("SIGHUP", () => {
    for (const worker of slots.keys()) if (!worker.isDead()) worker.process.kill("SIGHUP");
  });
  process.on("SIGUSR2", () => {
    if (rolling || stopping || !announced) {
      logger.warn(
        { rolling, stopping },
        "rolling restart refused: one is in progress or the gateway is not serving",
      );
      return;
    }
    try {
      loadGatewayConfig(sources);
    } catch (error) {
      logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        "rolling restart refused: the configuration does not load",
      );
      return;
    }
    rolling = true;
    void rollWorkers({
      current: () => [...slots].map(([worker, slot]) => ({ slot, worker })).sort((a, b) => a.slot - b.slot),
      fork,
      stop: (worker) => stopWorker(worker, (config.shutdown_timeout + 5) * 1000),
      expectedExits,
      running: () => !stopping,
      ready: (worker) => workerReady(worker, REPLACEMENT_READY_TIMEOUT_MS),
      logger,
    }).finally(() => {
      rolling = false;
    });
  });
  for (let slot = 0; slot < workers; slot++) fork(slot);
}

/** Resolves true once `worker` reports READY; false if it exits first or is killed for being too slow. */
function workerReady(worker: Worker, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const tooSlow = setTimeout(() => worker.process.kill("SIGKILL"), timeoutMs);
    const onMessage = (message: unknown) => {
      if (!isReadyMessage(message)) return;
      clearTimeout(tooSlow);
      worker.off("exit", onExit);
      worker.off("message", onMessage);
      resolve(true);
    };
    const onExit = () => {
      clearTimeout(tooSlow);
      worker.off("message", onMessage);
      resolve(false);
    };
    worker.on("message", onMessage);
    worker.once("exit", onExit);
  });
}

/** A port nobody listens on right now on `host`: bind port 0, read it, let it go. */
async function pickFreePort(host: string): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("no TCP address to pick a port");
  return address.port;
}
