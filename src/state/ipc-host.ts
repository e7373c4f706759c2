/**
 * The primary's side of the IPC store: one {@link MemoryStore} holds what every worker must agree
 * on, and {@link IpcStateHost} answers each worker's calls on it (ipc-messages.ts) and sends every
 * change it announces to every worker, the one that made it included.
 *
 * Exactness comes from the primary's single event loop: each call runs on the store as its
 * message arrives, so any number of workers never pass a cap. The host remembers which worker
 * holds which lease, and releases a worker's leases as soon as its channel closes (it died or was
 * stopped), instead of letting them count until their TTL.
 * @module
 */
import cluster from "node:cluster";
import { warnOnError } from "./events.js";
import {
  asIpcMessage,
  errorMessage,
  eventMessage,
  FORWARDED,
  type ForwardedMethod,
  type GrantedLease,
  type IpcCall,
  replyMessage,
  STATE_HOST_ENV,
} from "./ipc-messages.js";
import { channelPort, type IpcPort } from "./ipc-port.js";
import { MemoryStore } from "./memory.js";
import type { Lease, StateStore } from "./store.js";

/** Leases a worker holds before the expired ones among them are forgotten. */
const FIRST_SWEEP_AT = 256;

interface HeldLease {
  readonly lease: Lease;
  expiresAt: number;
}

/** One worker's channel and the leases it holds. */
class Client {
  readonly port: IpcPort;
  readonly leases = new Map<string, HeldLease>();
  #sweepAt = FIRST_SWEEP_AT;

  constructor(port: IpcPort) {
    this.port = port;
  }

  hold(lease: Lease, ttlMs: number): void {
    const now = Date.now();
    if (this.leases.size >= this.#sweepAt) {
      // A lease its holder never released has expired in the store already: stop tracking it.
      for (const [id, held] of this.leases) if (held.expiresAt <= now) this.leases.delete(id);
      this.#sweepAt = Math.max(FIRST_SWEEP_AT, this.leases.size * 2);
    }
    this.leases.set(lease.id, { lease, expiresAt: now + ttlMs });
  }

  releaseAll(): void {
    for (const { lease } of this.leases.values()) void lease.release();
    this.leases.clear();
  }
}

export class IpcStateHost {
  readonly store: StateStore;
  readonly #clients = new Set<Client>();
  readonly #onError: (error: unknown) => void;
  readonly #unsubscribe: () => void;

  constructor(store: StateStore = new MemoryStore(), onError: (error: unknown) => void = warnOnError) {
    this.store = store;
    this.#onError = onError;
    this.#unsubscribe = store.subscribe((event) => {
      const message = eventMessage(event);
      for (const client of this.#clients) client.port.post(message);
    });
  }

  /**
   * Answers `port`'s calls until its channel closes or the returned function is called; either
   * way the leases taken through it are released then.
   */
  serve(port: IpcPort): () => void {
    const client = new Client(port);
    this.#clients.add(client);
    const leave = () => {
      if (!this.#clients.delete(client)) return;
      stopListening();
      client.releaseAll();
    };
    const stopListening = port.listen((raw) => {
      const message = asIpcMessage(raw);
      if (message?.kind === "call") this.#answer(client, message);
    }, leave);
    return leave;
  }

  /** Lets every worker go (releasing their leases) and closes the store. */
  async close(): Promise<void> {
    for (const client of [...this.#clients]) {
      this.#clients.delete(client);
      client.releaseAll();
    }
    this.#unsubscribe();
    await this.store.close();
  }

  #answer(client: Client, call: IpcCall): void {
    // The store acts now, in arrival order (a MemoryStore changes and announces synchronously);
    // only the answer waits, so the events it caused reach the worker before it.
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(this.#run(client, call));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (result) => {
        if (call.id !== 0) client.port.post(replyMessage(call.id, call.method, result));
      },
      (error: unknown) => {
        this.#onError(error);
        if (call.id !== 0) client.port.post(errorMessage(call.id, error));
      },
    );
  }

  #run(client: Client, call: IpcCall): unknown {
    const { method, args } = call;
    switch (method) {
      case "acquire":
        return this.#acquire(client, String(args[0]), Number(args[1]), Number(args[2]));
      case "release": {
        const held = client.leases.get(String(args[0]));
        client.leases.delete(String(args[0]));
        return held?.lease.release();
      }
      case "renew":
        return this.#renew(client, String(args[0]), Number(args[1]));
      case "ping":
        return true;
      default:
        return this.#forward(method, args);
    }
  }

  async #acquire(
    client: Client,
    backendId: string,
    max: number,
    ttlMs: number,
  ): Promise<GrantedLease | undefined> {
    const lease = await this.store.acquire(backendId, max, ttlMs);
    if (!lease) return undefined;
    client.hold(lease, ttlMs);
    return { id: lease.id, inflight: lease.inflight };
  }

  async #renew(client: Client, leaseId: string, ttlMs: number): Promise<boolean> {
    const held = client.leases.get(leaseId);
    if (!held) return false;
    const renewed = await held.lease.renew(ttlMs);
    if (renewed) held.expiresAt = Date.now() + ttlMs;
    else client.leases.delete(leaseId);
    return renewed;
  }

  #forward(method: ForwardedMethod, args: readonly unknown[]): unknown {
    if (!Object.hasOwn(FORWARDED, method)) throw new Error(`unknown state method ${method}`);
    const run = this.store[method] as (...args: readonly unknown[]) => unknown;
    return Reflect.apply(run, this.store, args);
  }
}

/**
 * The `--workers` primary's side when there is no Redis: one store for all workers, served to
 * every worker forked from now on over its IPC channel. Returns the environment the workers must
 * be forked with, which tells them to join it.
 */
export function hostStateForWorkers(onError: (error: unknown) => void): Record<string, string> {
  const host = new IpcStateHost(new MemoryStore({ onError }), onError);
  cluster.on("fork", (worker) => {
    host.serve(channelPort(worker));
  });
  return { [STATE_HOST_ENV]: "ipc" };
}
