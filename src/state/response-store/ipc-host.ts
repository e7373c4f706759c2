/**
 * The `--workers` primary's side of the response store when there is no Redis: one
 * {@link MemoryResponseStore} for every worker, so a chain started on one worker continues on any
 * other (node:cluster spreads connections across workers).
 * @module
 */
import type { IpcPort } from "../ipc-port.js";
import { IpcRpcHost } from "../ipc-rpc.js";
import type { Clock } from "../store.js";
import { RESPONSES_HOST_ENV, RESPONSES_IPC_TAG, type ResponsesOp } from "./ipc-messages.js";
import { MemoryResponseStore } from "./memory.js";
import type { ResponseStore, ResponseStoreLimits, StoredResponse } from "./response-store.js";

export class IpcResponseHost {
  readonly store: ResponseStore;
  readonly #host: IpcRpcHost;

  constructor(store: ResponseStore, onError: (error: unknown) => void = () => {}) {
    this.store = store;
    this.#host = new IpcRpcHost(RESPONSES_IPC_TAG, (op, arg) => this.#run(op as ResponsesOp, arg), onError);
  }

  /** Answers `port`'s calls until its channel closes or the returned function is called. */
  serve(port: IpcPort): () => void {
    return this.#host.serve(port);
  }

  /** Serves every worker forked from now on. */
  serveForkedWorkers(): void {
    this.#host.serveForkedWorkers();
  }

  close(): Promise<void> {
    return this.store.close();
  }

  #run(op: ResponsesOp, arg: unknown): Promise<unknown> {
    switch (op) {
      case "get":
        return this.store.get(String(arg));
      case "put":
        return this.store.put(arg as StoredResponse);
      case "delete":
        return this.store.delete(String(arg));
      case "stats":
        return this.store.stats();
    }
  }
}

/**
 * Hosts one in-memory response store for every worker forked from now on. Returns the environment
 * the workers must be forked with, which tells them to use it.
 */
export function hostResponsesForWorkers(
  limits: ResponseStoreLimits,
  options: { now?: Clock; onError?: (error: unknown) => void } = {},
): Record<string, string> {
  const store = new MemoryResponseStore(options.now ? { ...limits, now: options.now } : limits);
  new IpcResponseHost(store, options.onError).serveForkedWorkers();
  return { [RESPONSES_HOST_ENV]: "ipc" };
}
