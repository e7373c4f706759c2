/**
 * A rolling restart of `--workers` gateway workers: one slot at a time, fork the replacement, wait
 * until it listens (its READY message), then stop the old worker gracefully (SIGTERM: it stops
 * accepting, finishes requests and streams in flight, closes its kept-alive connections without
 * refusing a request; gateway/connection-drain.ts). At every moment each slot has a worker that
 * accepts connections, so no request is lost, and because workers are forked from the script on
 * disk, the replacements run the code installed now: this is also how to deploy without downtime.
 *
 * A replacement that exits or never becomes ready stops the roll; the old worker of that slot
 * keeps serving (or, if it died meanwhile, the slot gets a plain new worker).
 * @module
 */
import type { Worker } from "node:cluster";
import type { Logger } from "pino";

export interface RollingRestartHost {
  /** The worker serving each slot now, in slot order. */
  current(): ReadonlyArray<{ slot: number; worker: Worker }>;
  fork(slot: number): Worker;
  /** Graceful stop: SIGTERM, then SIGKILL after the drain deadline; resolves when it exited. */
  stop(worker: Worker): Promise<void>;
  /** Workers whose exit the primary must not answer with a new worker; the roll adds and removes its own. */
  expectedExits: Set<Worker>;
  /** False once the primary shuts down: the roll stops between steps. */
  running(): boolean;
  /** Resolves true once `worker` reported READY, false when it exited first. */
  ready(worker: Worker): Promise<boolean>;
  logger: Logger;
}

/** Replaces every worker in turn; resolves true when all were replaced. */
export async function rollWorkers(host: RollingRestartHost): Promise<boolean> {
  const plan = host.current();
  host.logger.info({ workers: plan.length }, "rolling restart: started");
  for (const [index, { slot, worker: old }] of plan.entries()) {
    if (!host.running()) return false;
    const step = { step: `${index + 1}/${plan.length}`, worker: slot + 1 };
    // Until the replacement is ready, neither its exit nor the old worker's starts another worker.
    host.expectedExits.add(old);
    const replacement = host.fork(slot);
    host.expectedExits.add(replacement);
    if (!(await host.ready(replacement))) {
      host.expectedExits.delete(replacement);
      host.expectedExits.delete(old);
      if (!host.running()) return false;
      host.logger.error(
        { ...step, pid: replacement.process.pid },
        "rolling restart: the new worker did not start; stopped here, the old one keeps serving",
      );
      if (old.isDead()) host.fork(slot);
      return false;
    }
    host.expectedExits.delete(replacement);
    host.logger.info(
      { ...step, old: old.process.pid, new: replacement.process.pid },
      "rolling restart: new worker listening; draining the old one",
    );
    await host.stop(old);
    host.expectedExits.delete(old);
  }
  host.logger.info({ workers: plan.length }, "rolling restart: done");
  return true;
}
