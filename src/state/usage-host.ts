/**
 * Runtime keys and budget counters for `--workers` without Redis: the primary holds one set of
 * each and serves every worker over its IPC channel (key-store/ipc.ts, budget-store/ipc.ts), so a
 * key made through one worker works on all, and racing workers never pass a budget together.
 * @module
 */
import { IpcBudgetHost } from "./budget-store/ipc.js";
import { channelPort, type IpcPort } from "./ipc-port.js";
import { IpcKeyHost } from "./key-store/ipc.js";

/** Set to `ipc` in each worker's environment by a primary that hosts keys and budgets. */
export const USAGE_HOST_ENV = "SWITCHYARD_USAGE_HOST";

/**
 * Hosts one set of runtime keys and budget counters for every worker forked from now on. Returns
 * the environment the workers must be forked with, which tells them to use it.
 */
export function hostUsageForWorkers(onError: (error: unknown) => void = () => {}): Record<string, string> {
  new IpcKeyHost(onError).serveForkedWorkers();
  new IpcBudgetHost({ onError }).serveForkedWorkers();
  return { [USAGE_HOST_ENV]: "ipc" };
}

/** The port to the primary when this process is a worker whose primary hosts keys and budgets. */
export function primaryUsagePort(): IpcPort | undefined {
  if (process.env[USAGE_HOST_ENV] !== "ipc" || !process.send) return undefined;
  return channelPort(process);
}
