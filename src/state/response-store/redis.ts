/**
 * The Redis-backed {@link ResponseStore}, shared by every replica on one Redis: a chain started on
 * one replica continues on any other. Each call is one script (redis-scripts.ts), so one round trip.
 *
 * Unlike the state store, it keeps no local view to fall back on: a response stored elsewhere
 * cannot be answered from this replica's memory, so while Redis is unreachable calls reject with
 * {@link ResponseStoreUnavailableError} within `commandTimeoutMs` (the offline queue is off, so a
 * call made while disconnected fails at once) and the client reconnects in the background.
 * @module
 */

import { setTimeout as sleep } from "node:timers/promises";
import { createClient, ErrorReply } from "redis";
import { awaitFirstConnection, type RedisStoreConnection } from "../redis-first-connection.js";
import { RedisKeys } from "../redis-keys.js";
import { integer, integers } from "../redis-replies.js";
import type { Script } from "../redis-scripts.js";
import type { Clock } from "../store.js";
import { decodeEntry, encodeEntry } from "./entry-json.js";
import * as scripts from "./redis-scripts.js";
import {
  type PutResult,
  type ResponseStore,
  type ResponseStoreLimits,
  type ResponseStoreStats,
  ResponseStoreUnavailableError,
  type StoredResponse,
} from "./response-store.js";

type Client = ReturnType<typeof createClient>;

export interface RedisResponseStoreOptions extends ResponseStoreLimits, RedisStoreConnection {
  /** Deadline of one call (default 1000): a stored response can be megabytes. */
  commandTimeoutMs?: number;
  /** For tests: the scripts measure time with this clock instead of the server's. */
  now?: Clock;
  /** A lost connection, once per outage, and replies of the wrong shape. */
  onError?: (error: unknown) => void;
}

export class RedisResponseStore implements ResponseStore {
  readonly kind = "redis";
  readonly #limits: ResponseStoreLimits;
  readonly #keys: RedisKeys;
  readonly #client: Client;
  readonly #commandTimeoutMs: number;
  readonly #now: Clock | undefined;
  /** Whether the current outage was reported: node-redis repeats the error on every retry. */
  #reported = false;

  private constructor(options: RedisResponseStoreOptions) {
    this.#limits = options;
    this.#keys = new RedisKeys(options.namespace);
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 1_000;
    this.#now = options.now;
    const onError = options.onError ?? (() => {});
    this.#client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: Math.max(this.#commandTimeoutMs, 1_000),
        // Keep trying for ever, at most a second apart: a gateway outlives any Redis outage.
        reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1_000),
      },
    });
    // An 'error' event without a listener would crash the process.
    this.#client.on("error", (error: unknown) => {
      if (this.#reported) return;
      this.#reported = true;
      onError(error);
    });
    this.#client.on("ready", () => {
      this.#reported = false;
    });
  }

  /**
   * Creates a store and connects it. Resolves once Redis answered, or after `connectWaitMs` with
   * the client still connecting in the background: a gateway starts whether or not Redis is there.
   */
  static async connect(options: RedisResponseStoreOptions): Promise<RedisResponseStore> {
    const store = new RedisResponseStore(options);
    await awaitFirstConnection(store.#client, options.connectWaitMs ?? 2_000);
    return store;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const reply = await this.#run(scripts.GET_RESPONSE, id, []);
    if (reply === null || reply === undefined) return undefined;
    return decodeEntry(String(reply));
  }

  async put(entry: StoredResponse): Promise<PutResult> {
    const { json, bytes } = encodeEntry(entry);
    const { maxEntries, maxBytes, maxEntryBytes, ttlMs } = this.#limits;
    if (bytes > maxEntryBytes || bytes > maxBytes) return "too_large";
    const args = [
      json,
      String(bytes),
      String(Math.max(1, Math.round(ttlMs))),
      String(maxEntries),
      String(maxBytes),
    ];
    integer(await this.#run(scripts.PUT_RESPONSE, entry.id, args));
    return "stored";
  }

  async delete(id: string): Promise<boolean> {
    return integer(await this.#run(scripts.DELETE_RESPONSE, id, [])) === 1;
  }

  async stats(): Promise<ResponseStoreStats> {
    const [entries, bytes] = integers(await this.#run(scripts.RESPONSE_STATS, "", []), 2) as [number, number];
    return { entries, bytes };
  }

  async close(): Promise<void> {
    const client = this.#client;
    if (!client.isOpen) return;
    // close() waits for pending replies, which a hung server never sends: bound it, then drop.
    const closed = client.close().then(() => true);
    const finished = await Promise.race([closed, sleep(this.#commandTimeoutMs, false)]);
    if (!finished && client.isOpen) client.destroy();
  }

  /** Runs a script by SHA, loading it on the way when the server does not know it (after a restart). */
  async #run(script: Script, id: string, args: readonly string[]): Promise<unknown> {
    const keys = [
      this.#keys.responses,
      this.#keys.responseSizes,
      this.#keys.responseBytes,
      `${this.#keys.responsePrefix}${id}`,
    ];
    const tail = [
      String(keys.length),
      ...keys,
      id,
      this.#keys.responsePrefix,
      ...args,
      this.#now ? String(this.#now()) : "",
    ];
    try {
      return await this.#send(["EVALSHA", script.sha, ...tail]);
    } catch (error) {
      if (!(error instanceof ErrorReply) || !error.message.startsWith("NOSCRIPT")) throw error;
      return this.#send(["EVAL", script.source, ...tail]);
    }
  }

  async #send(args: readonly string[]): Promise<unknown> {
    try {
      return await this.#client.sendCommand<unknown>(args, { timeout: this.#commandTimeoutMs });
    } catch (error) {
      // Redis answered with an error: a bug to surface as it is, not an outage.
      if (error instanceof ErrorReply) throw error;
      throw new ResponseStoreUnavailableError("the response store's Redis is unreachable", { cause: error });
    }
  }
}
