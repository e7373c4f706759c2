/**
 * A `--workers` worker's response store when there is no Redis: every call goes to the one store
 * its primary holds (ipc-host.ts). There is nothing local to fall back on, so a call the primary
 * leaves unanswered for `callTimeoutMs`, or one made after the channel closed, rejects with
 * {@link ResponseStoreUnavailableError}; a late answer is dropped.
 * @module
 */
import { channelPort, type IpcPort } from "../ipc-port.js";
import { asResponsesMessage, RESPONSES_HOST_ENV, type ResponsesOp, responsesCall } from "./ipc-messages.js";
import {
  type PutResult,
  type ResponseStore,
  type ResponseStoreStats,
  ResponseStoreUnavailableError,
  type StoredResponse,
} from "./response-store.js";

export interface IpcResponseStoreOptions {
  /** The channel to the primary; see {@link primaryResponsesPort}. */
  port: IpcPort;
  /** How long a call waits for the primary (default 2000: entries can be megabytes). */
  callTimeoutMs?: number;
}

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** The port to the primary when this process is a worker whose primary hosts the response store. */
export function primaryResponsesPort(): IpcPort | undefined {
  if (process.env[RESPONSES_HOST_ENV] !== "ipc" || !process.send) return undefined;
  return channelPort(process);
}

export class IpcResponseStore implements ResponseStore {
  readonly kind = "ipc";
  readonly #port: IpcPort;
  readonly #callTimeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #stopListening: () => void;
  #nextId = 1;
  #open = true;

  constructor(options: IpcResponseStoreOptions) {
    this.#port = options.port;
    this.#callTimeoutMs = options.callTimeoutMs ?? 2_000;
    this.#stopListening = this.#port.listen(
      (raw) => this.#onMessage(raw),
      () => this.#end("the primary's channel closed"),
    );
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    return (await this.#call("get", id)) as StoredResponse | undefined;
  }

  async put(entry: StoredResponse): Promise<PutResult> {
    return (await this.#call("put", entry)) as PutResult;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.#call("delete", id)) === true;
  }

  async stats(): Promise<ResponseStoreStats> {
    return (await this.#call("stats")) as ResponseStoreStats;
  }

  async close(): Promise<void> {
    this.#stopListening();
    this.#end("the response store is closed");
  }

  #call(op: ResponsesOp, arg?: unknown): Promise<unknown> {
    if (!this.#open)
      return Promise.reject(new ResponseStoreUnavailableError("the primary's channel is closed"));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new ResponseStoreUnavailableError(`the primary did not answer within ${this.#callTimeoutMs} ms`),
        );
      }, this.#callTimeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#port.post(responsesCall(id, op, arg));
    });
  }

  #onMessage(raw: unknown): void {
    const message = asResponsesMessage(raw);
    if (message?.kind !== "reply") return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    // The primary's store refused: a bug there, not an outage, so not "unavailable".
    if (message.error !== undefined) pending.reject(new Error(`response store: ${message.error}`));
    else pending.resolve(message.result);
  }

  #end(reason: string): void {
    this.#open = false;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new ResponseStoreUnavailableError(reason));
    }
    this.#pending.clear();
  }
}
