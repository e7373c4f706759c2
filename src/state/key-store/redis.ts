/**
 * Runtime keys shared by every replica through Redis. Each replica keeps the whole set in a local
 * view (lookups never wait on Redis for a known key), loaded at connection and after every
 * reconnection, and kept current by the id each change announces on the key channel: a revoked
 * key stops working on every replica within the pub/sub delay (milliseconds). A digest the view
 * does not know is looked up in Redis before a request is refused, so a key made on one replica
 * works on the others before the announcement arrives.
 *
 * While Redis is away the view keeps answering (known keys keep working, revocations made
 * elsewhere meanwhile arrive with the reload) and changes are refused with
 * {@link KeyStoreUnavailableError}.
 * @module
 */

import { setTimeout as sleep } from "node:timers/promises";
import { createClient, ErrorReply } from "redis";
import { awaitFirstConnection, type RedisStoreConnection } from "../redis-first-connection.js";
import { RedisKeys } from "../redis-keys.js";
import { hashEntries, integer, parseJson } from "../redis-replies.js";
import type { Script } from "../redis-scripts.js";
import { KeyStoreUnavailableError, type StoredKey } from "./key-store.js";
import * as scripts from "./redis-scripts.js";
import { SharedKeyView } from "./shared-view.js";

type Client = ReturnType<typeof createClient>;

export interface RedisKeyStoreOptions extends RedisStoreConnection {
  /** Deadline of one call (default 500). */
  commandTimeoutMs?: number;
  /** A lost connection (once per outage), a record that is not a key. */
  onError?: (error: unknown) => void;
}

export class RedisKeyStore extends SharedKeyView {
  readonly kind = "redis";
  readonly #records: string;
  readonly #digests: string;
  readonly #enabledMark: string;
  readonly #channel: string;
  readonly #client: Client;
  readonly #subscriber: Client;
  readonly #commandTimeoutMs: number;
  readonly #onError: (error: unknown) => void;
  #reported = false;

  private constructor(options: RedisKeyStoreOptions) {
    super();
    const prefix = new RedisKeys(options.namespace).prefix;
    this.#records = `${prefix}keys`;
    this.#digests = `${prefix}keys:digests`;
    this.#enabledMark = `${prefix}keys:enabled`;
    this.#channel = `${prefix}keys:events`;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 500;
    this.#onError = options.onError ?? (() => {});
    this.#client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: Math.max(this.#commandTimeoutMs, 1_000),
        reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1_000),
      },
    });
    this.#subscriber = this.#client.duplicate();
    for (const client of [this.#client, this.#subscriber]) {
      client.on("error", (error: unknown) => this.#report(error));
    }
    // After every (re)connection: changes made while this replica was away were never announced.
    this.#client.on("ready", () => {
      this.#reported = false;
      void this.#reload();
    });
  }

  static async connect(options: RedisKeyStoreOptions): Promise<RedisKeyStore> {
    const store = new RedisKeyStore(options);
    store.#subscriber
      .connect()
      .then(() => store.#subscriber.subscribe(store.#channel, (id) => void store.#refresh(id)))
      .catch(() => {});
    await awaitFirstConnection(store.#client, options.connectWaitMs ?? 2_000, () => store.#reload());
    return store;
  }

  async put(key: StoredKey): Promise<void> {
    await this.#change(scripts.PUT_KEY, [
      key.id,
      JSON.stringify(key),
      key.key_sha256.toLowerCase(),
      this.#channel,
    ]);
    this.view.set(key);
  }

  async delete(id: string): Promise<boolean> {
    const existed = integer(await this.#change(scripts.DELETE_KEY, [id, this.#channel])) === 1;
    this.view.remove(id);
    return existed;
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.#subscriber, this.#client].map(async (client) => {
        if (!client.isOpen) return;
        const closed = client.close().then(() => true);
        const finished = await Promise.race([closed, sleep(this.#commandTimeoutMs, false)]);
        if (!finished && client.isOpen) client.destroy();
      }),
    );
  }

  protected async findShared(digest: string): Promise<StoredKey | undefined> {
    try {
      const reply = await this.#run(scripts.FIND_KEY, [digest]);
      if (reply === null || reply === undefined) return undefined;
      const key = this.#decode(String(reply));
      if (key) this.view.set(key);
      return key;
    } catch (error) {
      this.#report(error);
      return undefined;
    }
  }

  async #refresh(id: string): Promise<void> {
    try {
      const reply = await this.#send(["HGET", this.#records, id]);
      const key = reply === null || reply === undefined ? undefined : this.#decode(String(reply));
      // An announcement means a key was made here once, even when this one is already gone.
      this.view.enable();
      if (key) this.view.set(key);
      else this.view.remove(id);
    } catch (error) {
      this.#report(error);
    }
  }

  async #reload(): Promise<void> {
    try {
      const [entries, enabled] = await Promise.all([
        this.#send(["HGETALL", this.#records]).then(hashEntries),
        this.#send(["GET", this.#enabledMark]),
      ]);
      this.view.replaceAll(entries.flatMap(([, json]) => this.#decode(json) ?? []));
      if (enabled !== null && enabled !== undefined) this.view.enable();
    } catch (error) {
      this.#report(error);
    }
  }

  #decode(json: string): StoredKey | undefined {
    const parsed = parseJson(json);
    const value = parsed.ok ? (parsed.value as Partial<StoredKey> | null) : null;
    if (typeof value?.id === "string" && typeof value.key_sha256 === "string") return value as StoredKey;
    this.#onError(new Error(`a runtime key record in Redis is not a key: ${json.slice(0, 80)}`));
    return undefined;
  }

  async #change(script: Script, args: readonly string[]): Promise<unknown> {
    try {
      return await this.#run(script, args);
    } catch (error) {
      if (error instanceof ErrorReply) throw error;
      throw new KeyStoreUnavailableError("the Redis holding runtime keys did not answer", { cause: error });
    }
  }

  async #run(script: Script, args: readonly string[]): Promise<unknown> {
    const tail = ["3", this.#records, this.#digests, this.#enabledMark, ...args, ""];
    try {
      return await this.#send(["EVALSHA", script.sha, ...tail]);
    } catch (error) {
      if (!(error instanceof ErrorReply) || !error.message.startsWith("NOSCRIPT")) throw error;
      return this.#send(["EVAL", script.source, ...tail]);
    }
  }

  #send(args: readonly string[]): Promise<unknown> {
    return this.#client.sendCommand<unknown>(args, { timeout: this.#commandTimeoutMs });
  }

  #report(error: unknown): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#onError(error);
  }
}
