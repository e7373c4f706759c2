/**
 * Budget counters shared by `--workers` workers without Redis: the primary holds the one
 * {@link MemoryBudgetStore} ({@link IpcBudgetHost}) and each worker's {@link IpcBudgetStore} asks
 * it, so a reservation is checked and counted in one turn of the primary's event loop and racing
 * workers never pass a limit together.
 *
 * As with Redis, a worker whose primary does not answer counts in its own process meanwhile, so
 * requests keep flowing, and a settlement that cannot reach the primary is dropped, which leaves
 * its reservation counted in full (the safe side).
 * @module
 */
import type { IpcPort } from "../ipc-port.js";
import { IpcRpcClient, IpcRpcHost } from "../ipc-rpc.js";
import type { Clock } from "../store.js";
import type { BudgetAdjustment, BudgetCharge, BudgetStore, ReserveResult } from "./budget-store.js";
import { MemoryBudgetStore } from "./memory.js";

/** Keeps this store's calls apart from the others' on the channel. */
const BUDGETS_IPC_TAG = "switchyard:budgets";

type BudgetOp = "reserve" | "adjust" | "spent";

class PrimaryUnavailableError extends Error {
  override readonly name = "PrimaryUnavailableError";
}

export class IpcBudgetStore implements BudgetStore {
  readonly kind = "ipc";
  readonly #rpc: IpcRpcClient;
  readonly #local = new MemoryBudgetStore();
  readonly #onError: (error: unknown) => void;
  #reported = false;

  constructor(options: { port: IpcPort; callTimeoutMs?: number; onError?: (error: unknown) => void }) {
    this.#onError = options.onError ?? (() => {});
    this.#rpc = new IpcRpcClient({
      port: options.port,
      tag: BUDGETS_IPC_TAG,
      // As Redis's: long enough for a busy primary, short enough that admission never stalls.
      callTimeoutMs: options.callTimeoutMs ?? 1_000,
      unavailable: (reason) => new PrimaryUnavailableError(reason),
    });
  }

  async reserve(charges: readonly BudgetCharge[]): Promise<ReserveResult> {
    if (charges.length === 0) return { ok: true };
    try {
      return this.#answered((await this.#rpc.call("reserve", charges)) as ReserveResult);
    } catch (error) {
      this.#report(error);
      return this.#local.reserveNow(charges);
    }
  }

  async adjust(adjustments: readonly BudgetAdjustment[]): Promise<void> {
    if (adjustments.length === 0) return;
    try {
      this.#answered(await this.#rpc.call("adjust", adjustments));
    } catch (error) {
      this.#report(error);
      await this.#local.adjust(adjustments);
    }
  }

  async spent(key: string, oldest: number): Promise<number> {
    try {
      return this.#answered(Number(await this.#rpc.call("spent", [key, oldest])));
    } catch (error) {
      this.#report(error);
      return this.#local.spent(key, oldest);
    }
  }

  async close(): Promise<void> {
    this.#rpc.close("the budget store is closed");
  }

  #answered<T>(result: T): T {
    this.#reported = false;
    return result;
  }

  /** Once per outage, as the Redis store reports a lost connection. */
  #report(error: unknown): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#onError(error);
  }
}

/** The primary's one set of counters, answering every worker. */
export class IpcBudgetHost {
  readonly store: MemoryBudgetStore;
  readonly #host: IpcRpcHost;

  constructor(options: { now?: Clock; onError?: (error: unknown) => void } = {}) {
    this.store = new MemoryBudgetStore(options.now ? { now: options.now } : {});
    this.#host = new IpcRpcHost(
      BUDGETS_IPC_TAG,
      (op, arg) => this.#run(op as BudgetOp, arg),
      options.onError,
    );
  }

  serve(port: IpcPort): () => void {
    return this.#host.serve(port);
  }

  serveForkedWorkers(): void {
    this.#host.serveForkedWorkers();
  }

  #run(op: BudgetOp, arg: unknown): unknown {
    switch (op) {
      case "reserve":
        // Synchronous: no other worker's reservation can come between the check and the count.
        return this.store.reserveNow(arg as BudgetCharge[]);
      case "adjust":
        return this.store.adjust(arg as BudgetAdjustment[]);
      case "spent": {
        const [key, oldest] = arg as [string, number];
        return this.store.spent(key, oldest);
      }
    }
  }
}
