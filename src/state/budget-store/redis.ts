/**
 * Budget counters in Redis, shared by every replica: a reservation is one script (check every
 * budget of the request, then count them all) and a settlement another, so concurrent requests on
 * any number of replicas never pass a limit with what they reserved.
 *
 * While Redis does not answer, reservations are counted in this process (a `MemoryBudgetStore`),
 * so requests keep flowing and each replica keeps to the limits on its own; a settlement that
 * cannot reach Redis is dropped, which leaves its reservation counted in full (the safe side).
 * @module
 */

import { setTimeout as sleep } from "node:timers/promises";
import { createClient, ErrorReply } from "redis";
import { awaitFirstConnection, type RedisStoreConnection } from "../redis-first-connection.js";
import { RedisKeys } from "../redis-keys.js";
import { integer, integers } from "../redis-replies.js";
import type { Script } from "../redis-scripts.js";
import type { BudgetAdjustment, BudgetCharge, BudgetStore, ReserveResult } from "./budget-store.js";
import { MemoryBudgetStore } from "./memory.js";
import * as scripts from "./redis-scripts.js";

type Client = ReturnType<typeof createClient>;

export interface RedisBudgetStoreOptions extends RedisStoreConnection {
  /** Deadline of one call before the local count takes over (default 1000: a budget is only exact in Redis). */
  commandTimeoutMs?: number;
  /** A lost connection, once per outage. */
  onError?: (error: unknown) => void;
}

export class RedisBudgetStore implements BudgetStore {
  readonly kind = "redis";
  readonly #prefix: string;
  readonly #client: Client;
  readonly #commandTimeoutMs: number;
  readonly #local = new MemoryBudgetStore();
  readonly #onError: (error: unknown) => void;
  #reported = false;

  private constructor(options: RedisBudgetStoreOptions) {
    this.#prefix = `${new RedisKeys(options.namespace).prefix}budget:`;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 1_000;
    this.#onError = options.onError ?? (() => {});
    this.#client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: Math.max(this.#commandTimeoutMs, 1_000),
        reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1_000),
      },
    });
    this.#client.on("error", (error: unknown) => this.#report(error));
    this.#client.on("ready", () => {
      this.#reported = false;
    });
  }

  static async connect(options: RedisBudgetStoreOptions): Promise<RedisBudgetStore> {
    const store = new RedisBudgetStore(options);
    await awaitFirstConnection(store.#client, options.connectWaitMs ?? 2_000);
    return store;
  }

  async reserve(charges: readonly BudgetCharge[]): Promise<ReserveResult> {
    if (charges.length === 0) return { ok: true };
    const args = charges.flatMap((charge) => [
      String(charge.limit),
      String(charge.amount),
      String(charge.bucket),
      String(charge.oldest),
      String(Math.max(1, Math.ceil(charge.ttlMs))),
    ]);
    try {
      const reply = await this.#run(
        scripts.RESERVE_BUDGET,
        charges.map((charge) => charge.key),
        args,
      );
      const [index, spent, oldestUsed] = integers(reply, 3) as [number, number, number];
      if (index === 0) return { ok: true };
      return { ok: false, index: index - 1, spent, oldestUsed: oldestUsed < 0 ? undefined : oldestUsed };
    } catch (error) {
      this.#report(error);
      return this.#local.reserveNow(charges);
    }
  }

  async adjust(adjustments: readonly BudgetAdjustment[]): Promise<void> {
    if (adjustments.length === 0) return;
    const args = adjustments.flatMap((adjustment) => [
      String(adjustment.bucket),
      String(adjustment.delta),
      String(Math.max(1, Math.ceil(adjustment.ttlMs))),
    ]);
    try {
      await this.#run(
        scripts.SETTLE_BUDGET,
        adjustments.map((adjustment) => adjustment.key),
        args,
      );
    } catch (error) {
      this.#report(error);
      await this.#local.adjust(adjustments);
    }
  }

  async spent(key: string, oldest: number): Promise<number> {
    try {
      return integer(await this.#run(scripts.BUDGET_SPENT, [key], [String(oldest)]));
    } catch (error) {
      this.#report(error);
      return this.#local.spent(key, oldest);
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    if (!client.isOpen) return;
    const closed = client.close().then(() => true);
    const finished = await Promise.race([closed, sleep(this.#commandTimeoutMs, false)]);
    if (!finished && client.isOpen) client.destroy();
  }

  /** Runs a script by SHA, loading it on the way when the server does not know it (after a restart). */
  async #run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    // The scripts' `now` prelude reads the last ARGV: empty, so it is never a caller's number.
    const tail = [String(keys.length), ...keys.map((key) => this.#prefix + key), ...args, ""];
    const options = { timeout: this.#commandTimeoutMs };
    try {
      return await this.#client.sendCommand<unknown>(["EVALSHA", script.sha, ...tail], options);
    } catch (error) {
      if (!(error instanceof ErrorReply) || !error.message.startsWith("NOSCRIPT")) throw error;
      return this.#client.sendCommand<unknown>(["EVAL", script.source, ...tail], options);
    }
  }

  #report(error: unknown): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#onError(error);
  }
}
