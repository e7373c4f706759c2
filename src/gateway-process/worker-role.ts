/**
 * Whether this process is a `gateway --workers` worker, told without loading the primary's
 * machinery (workers.ts), which a lone gateway never needs.
 * @module
 */
import cluster from "node:cluster";

/** Set by the primary in each worker's environment: the port every worker listens on. */
export const WORKER_PORT_ENV = "SWITCHYARD_WORKER_PORT";

/** True in a process forked by `runGatewayPrimary` (workers.ts). */
export function isGatewayWorker(): boolean {
  return cluster.isWorker && process.env[WORKER_PORT_ENV] !== undefined;
}
