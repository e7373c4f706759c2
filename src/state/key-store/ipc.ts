/**
 * Runtime keys shared by `--workers` workers without Redis: the primary holds the one set
 * ({@link IpcKeyHost}) and tells every worker of each change; each worker's {@link IpcKeyStore}
 * answers lookups from its own view, loaded from the primary at start, so a key made or revoked
 * through any worker holds on every worker at once. A digest the view does not know is asked of
 * the primary before a request is refused (a key made a moment ago on another worker).
 *
 * While the primary does not answer, the view keeps answering and changes are refused with
 * {@link KeyStoreUnavailableError}, as with Redis.
 * @module
 */
import type { IpcPort } from "../ipc-port.js";
import { IpcRpcClient, IpcRpcHost } from "../ipc-rpc.js";
import { KeyStoreUnavailableError, type StoredKey } from "./key-store.js";
import { MemoryKeyStore } from "./memory.js";
import { SharedKeyView } from "./shared-view.js";

/** Keeps this store's calls apart from the others' on the channel. */
const KEYS_IPC_TAG = "switchyard:keys";

type KeyOp = "snapshot" | "find" | "put" | "delete";
type KeyNotice = "set" | "remove";

interface Snapshot {
  readonly keys: StoredKey[];
  readonly enabled: boolean;
}

export class IpcKeyStore extends SharedKeyView {
  readonly kind = "ipc";
  readonly #rpc: IpcRpcClient;
  readonly #onError: (error: unknown) => void;

  private constructor(options: {
    port: IpcPort;
    callTimeoutMs?: number;
    onError?: (error: unknown) => void;
  }) {
    super();
    this.#onError = options.onError ?? (() => {});
    this.#rpc = new IpcRpcClient({
      port: options.port,
      tag: KEYS_IPC_TAG,
      callTimeoutMs: options.callTimeoutMs ?? 1_000,
      unavailable: (reason) => new KeyStoreUnavailableError(`runtime keys: ${reason}`),
      onNotice: (op, arg) => this.#onNotice(op as KeyNotice, arg),
    });
  }

  /** A store whose view holds the primary's keys, or an empty one if the primary does not answer. */
  static async connect(options: {
    port: IpcPort;
    callTimeoutMs?: number;
    onError?: (error: unknown) => void;
  }): Promise<IpcKeyStore> {
    const store = new IpcKeyStore(options);
    try {
      const snapshot = (await store.#rpc.call("snapshot")) as Snapshot;
      store.view.replaceAll(snapshot.keys);
      if (snapshot.enabled) store.view.enable();
    } catch (error) {
      store.#onError(error);
    }
    return store;
  }

  async put(key: StoredKey): Promise<void> {
    await this.#rpc.call("put", key);
    this.view.set(key);
  }

  async delete(id: string): Promise<boolean> {
    const deleted = (await this.#rpc.call("delete", id)) === true;
    this.view.remove(id);
    return deleted;
  }

  async close(): Promise<void> {
    this.#rpc.close("the key store is closed");
  }

  protected async findShared(digest: string): Promise<StoredKey | undefined> {
    try {
      const key = (await this.#rpc.call("find", digest)) as StoredKey | undefined;
      if (key) this.view.set(key);
      return key;
    } catch (error) {
      this.#onError(error);
      return undefined;
    }
  }

  #onNotice(op: KeyNotice, arg: unknown): void {
    if (op === "set") this.view.set(arg as StoredKey);
    else if (op === "remove") this.view.remove(String(arg));
  }
}

/** The primary's one set of runtime keys, answering every worker and telling each of every change. */
export class IpcKeyHost {
  readonly store = new MemoryKeyStore();
  readonly #host: IpcRpcHost;

  constructor(onError: (error: unknown) => void = () => {}) {
    this.#host = new IpcRpcHost(KEYS_IPC_TAG, (op, arg) => this.#run(op as KeyOp, arg), onError);
  }

  serve(port: IpcPort): () => void {
    return this.#host.serve(port);
  }

  serveForkedWorkers(): void {
    this.#host.serveForkedWorkers();
  }

  #run(op: KeyOp, arg: unknown): unknown {
    switch (op) {
      case "snapshot":
        return { keys: this.store.list(), enabled: this.store.enabled } satisfies Snapshot;
      case "find":
        return this.store.findByDigest(String(arg));
      case "put": {
        const key = arg as StoredKey;
        this.store.set(key);
        this.#host.notify("set", key);
        return undefined;
      }
      case "delete": {
        const deleted = this.store.remove(String(arg));
        if (deleted) this.#host.notify("remove", String(arg));
        return deleted;
      }
    }
  }
}
