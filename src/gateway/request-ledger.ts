/**
 * Opens the request ledger the settings ask for: on with `ledger: true` or a `database_url`, in
 * the Postgres server of `database_url`, else in the embedded database under `ledger_dir`. Its
 * figures go to the gateway's metrics, and trouble to the log once a minute at most (dropped rows
 * counted since the last line), so an outage cannot flood the log.
 * @module
 */
import { resolve } from "node:path";
import type { Logger } from "pino";
import { redactUrl } from "../config/redact-url.js";
import type { GatewayConfig } from "../config/schema.js";
import type { Ledger } from "../ledger/ledger.js";
import type { LedgerStore } from "../ledger/store.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import { ipcLedgerStore, primaryLedgerPort } from "./ledger-ipc.js";

const LOG_INTERVAL_MS = 60_000;

export function ledgerEnabled(config: Pick<GatewayConfig, "ledger" | "database_url">): boolean {
  return config.ledger ?? config.database_url !== undefined;
}

export async function openRequestLedger(
  config: GatewayConfig,
  metrics: GatewayMetrics,
  logger: Logger,
): Promise<Ledger | undefined> {
  if (!ledgerEnabled(config)) return undefined;
  // Both series exist from the start, so an alert on drops sees 0 rather than nothing.
  metrics.ledgerRowsWritten.inc(0);
  metrics.ledgerRowsDropped.inc(0);
  metrics.ledgerWorkerRestarts.inc(0);
  let droppedSinceLog = 0;
  const dropLog = rateLimited(LOG_INTERVAL_MS);
  const errorLog = rateLimited(LOG_INTERVAL_MS);
  // Loaded only when a ledger is on: drizzle and the database drivers are no part of a gateway without one.
  const { Ledger } = await import("../ledger/ledger.js");
  const ledger = await Ledger.open({
    url: config.database_url,
    dir: config.database_url ? undefined : embeddedDir(config.ledger_dir),
    store: config.database_url ? undefined : workerLedgerStore(),
    textRetentionDays: config.ledger_keep_text ? config.ledger_retention : 0,
    onError: (error) => logger.warn({ err: error }, "ledger: database trouble"),
    worker: {
      onRestart: (restarts, error) => {
        metrics.ledgerWorkerRestarts.inc(1);
        logger.error({ err: error, restarts }, "ledger: the database worker died and was restarted");
      },
      onRestartFailed: (error) => {
        if (errorLog())
          logger.warn({ err: error }, "ledger: the database worker could not be restarted; retrying");
      },
    },
    writer: {
      onWritten: (rows) => metrics.ledgerRowsWritten.inc(rows),
      onDropped: (rows) => {
        metrics.ledgerRowsDropped.inc(rows);
        droppedSinceLog += rows;
        if (!dropLog()) return;
        logger.warn(
          { dropped: droppedSinceLog },
          "ledger: rows dropped, the buffer is full while the database is unreachable",
        );
        droppedSinceLog = 0;
      },
      onError: (error, buffered) => {
        if (errorLog())
          logger.warn({ err: error, buffered }, "ledger: a batch was not written; it will be retried");
      },
    },
  });
  logger.info(
    {
      database: ledger.store.kind,
      where: config.database_url ? redactUrl(config.database_url) : embeddedDir(config.ledger_dir),
    },
    "ledger: recording requests",
  );
  return ledger;
}

/** In a `--workers` worker whose primary holds the embedded ledger, the store that reaches it. */
function workerLedgerStore(): LedgerStore | undefined {
  const port = primaryLedgerPort();
  return port && ipcLedgerStore(port);
}

/** `memory://` keeps the embedded database in memory, gone at exit; anything else is a directory. */
export function embeddedDir(dir: string): string {
  return dir.startsWith("memory://") ? dir : resolve(dir);
}

/** True at most once per `intervalMs`. */
function rateLimited(intervalMs: number): () => boolean {
  let last = Number.NEGATIVE_INFINITY;
  return () => {
    const now = Date.now();
    if (now - last < intervalMs) return false;
    last = now;
    return true;
  };
}
