/**
 * The `--workers` primary's side of the response store when there is no Redis: one
 * {@link MemoryResponseStore} for every worker, so a chain started on one worker continues on any
 * other (node:cluster spreads connections across workers). Each worker's calls are answered in
 * arrival order on the primary's one event loop.
 * @module
 */
import cluster from "node:cluster";
import { channelPort, type IpcPort } from "../ipc-port.js";
import type { Clock } from "../store.js";
import {
  asResponsesMessage,
  RESPONSES_HOST_ENV,
  type ResponsesCall,
  responsesError,
  responsesReply,
} from "./ipc-messages.js";
import { MemoryResponseStore } from "./memory.js";
import type { ResponseStore, ResponseStoreLimits, StoredResponse } from "./response-store.js";

export class IpcResponseHost {
  readonly store: ResponseStore;
  readonly #onError: (error: unknown) => void;

  constructor(store: ResponseStore, onError: (error: unknown) => void = () => {}) {
    this.store = store;
    this.#onError = onError;
  }

  /** Answers `port`'s calls until its channel closes or the returned function is called. */
  serve(port: IpcPort): () => void {
    return port.listen(
      (raw) => {
        const message = asResponsesMessage(raw);
        if (message?.kind === "call") this.#answer(port, message);
      },
      () => {},
    );
  }

  close(): Promise<void> {
    return this.store.close();
  }

  #answer(port: IpcPort, call: ResponsesCall): void {
    this.#run(call).then(
      (result) => port.post(responsesReply(call.id, result)),
      (error: unknown) => {
        this.#onError(error);
        port.post(responsesError(call.id, error));
      },
    );
  }

  async #run(call: ResponsesCall): Promise<unknown> {
    switch (call.op) {
      case "get":
        return this.store.get(String(call.arg));
      case "put":
        return this.store.put(call.arg as StoredResponse);
      case "delete":
        return this.store.delete(String(call.arg));
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
  const host = new IpcResponseHost(store, options.onError);
  cluster.on("fork", (worker) => {
    host.serve(channelPort(worker));
  });
  return { [RESPONSES_HOST_ENV]: "ipc" };
}
