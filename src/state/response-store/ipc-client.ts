/**
 * A `--workers` worker's response store when there is no Redis: every call goes to the one store
 * its primary holds (ipc-host.ts). There is nothing local to fall back on, so a call the primary
 * leaves unanswered for `callTimeoutMs`, or one made after the channel closed, rejects with
 * {@link ResponseStoreUnavailableError}.
 * @module
 */
import { channelPort, type IpcPort } from "../ipc-port.js";
import { IpcRpcClient } from "../ipc-rpc.js";
import { RESPONSES_HOST_ENV, RESPONSES_IPC_TAG, type ResponsesOp } from "./ipc-messages.js";
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

/** The port to the primary when this process is a worker whose primary hosts the response store. */
export function primaryResponsesPort(): IpcPort | undefined {
  if (process.env[RESPONSES_HOST_ENV] !== "ipc" || !process.send) return undefined;
  return channelPort(process);
}

export class IpcResponseStore implements ResponseStore {
  readonly kind = "ipc";
  readonly #rpc: IpcRpcClient;

  constructor(options: IpcResponseStoreOptions) {
    this.#rpc = new IpcRpcClient({
      port: options.port,
      tag: RESPONSES_IPC_TAG,
      callTimeoutMs: options.callTimeoutMs ?? 2_000,
      unavailable: (reason) => new ResponseStoreUnavailableError(reason),
    });
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
    this.#rpc.close("the response store is closed");
  }

  #call(op: ResponsesOp, arg?: unknown): Promise<unknown> {
    return this.#rpc.call(op, arg);
  }
}
