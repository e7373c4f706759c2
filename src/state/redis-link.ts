/**
 * The Redis store's connection: two node-redis clients (commands, and a duplicate for pub/sub,
 * which a subscribed connection cannot share), a deadline on every command, and the online flag
 * that decides whether the store asks Redis or its local view.
 *
 * Why the store never waits on a dead Redis: the offline queue is disabled, so a command sent
 * while disconnected fails at once instead of queueing; a command to a server that stopped
 * answering fails at `commandTimeoutMs`; and after the first failure the link goes offline, so
 * later calls skip Redis entirely (no timeout paid per request) until a background loop has
 * pinged Redis and re-synchronised the store.
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, ErrorReply } from "redis";
import type { Script } from "./redis-scripts.js";
import type { Clock } from "./store.js";

type Client = ReturnType<typeof createClient>;

const READY_POLL_MS = 20;

export interface RedisLinkOptions {
  url: string;
  /** Deadline of one command; a command past it counts as Redis being unreachable. */
  commandTimeoutMs: number;
  /** Pause between reconnection checks while offline. */
  recoverIntervalMs: number;
  /** Deadline of the whole `resync` after a reconnection. */
  resyncTimeoutMs: number;
  channel: string;
  /** A clock for the scripts to use instead of the server's (see redis-scripts.ts); tests only. */
  now?: Clock;
  /** Receives every message on `channel`. */
  onMessage: (message: string) => void;
  /** Runs after each (re)connection, before the link says online; a failure is retried. */
  resync: () => Promise<void>;
  /** Called when the link goes online or offline. */
  onStatus: (online: boolean) => void;
  onError: (error: unknown) => void;
}

/** A command that got no answer within the deadline. */
export class RedisTimeoutError extends Error {
  override readonly name = "RedisTimeoutError";
  readonly code = "SWY_STATE_REDIS_TIMEOUT";
}

/** The reply of a script that does not have the shape the store expects. */
export class RedisReplyError extends Error {
  override readonly name = "RedisReplyError";
  readonly code = "SWY_STATE_REDIS_REPLY";
}

/**
 * Whether Redis answered with an error (or a reply of the wrong shape): the server is there, so
 * this is a bug or a server-side refusal to report, not an outage to ride out.
 */
export function isServerError(error: unknown): boolean {
  return error instanceof ErrorReply || error instanceof RedisReplyError;
}

export class RedisLink {
  readonly #options: RedisLinkOptions;
  readonly #client: Client;
  readonly #subscriber: Client;
  #online = false;
  #closed = false;
  #syncWanted = false;
  /** node-redis re-subscribes by itself after reconnecting, but only once a SUBSCRIBE succeeded. */
  #subscribed = false;
  #syncing: Promise<void> | undefined;

  constructor(options: RedisLinkOptions) {
    this.#options = options;
    this.#client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: Math.max(options.commandTimeoutMs, 1_000),
        // Keep trying for ever, at most a second apart: a gateway outlives any Redis outage.
        reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1_000),
      },
    });
    this.#subscriber = this.#client.duplicate();
    for (const client of [this.#client, this.#subscriber]) {
      // An 'error' event without a listener would crash the process; every one means the
      // connection broke, which is handled by going offline.
      client.on("error", (error: unknown) => this.#lost(error));
      client.on("ready", () => this.#requestSync());
    }
  }

  /** Whether calls go to Redis. */
  get online(): boolean {
    return this.#online;
  }

  /** Online and receiving the other replicas' events. */
  get healthy(): boolean {
    return this.#online && this.#subscriber.isReady;
  }

  /** Connects in the background; resolves once online or after `waitMs`, whichever is first. */
  async start(waitMs: number): Promise<void> {
    this.#client.connect().catch((error: unknown) => this.#lost(error));
    this.#subscriber.connect().catch((error: unknown) => this.#lost(error));
    const deadline = Date.now() + waitMs;
    while (!this.#online && !this.#closed && Date.now() < deadline) await sleep(10);
  }

  /** Sends one command; rejects on error or deadline, and an unreachable Redis turns the link offline. */
  async command<T>(args: readonly string[]): Promise<T> {
    try {
      return await this.#deadline(this.#client.sendCommand<T>(args), this.#options.commandTimeoutMs);
    } catch (error) {
      this.#fail(error);
      throw error;
    }
  }

  /** Runs a script by SHA, loading it on the way when the server does not know it (after a restart). */
  async script(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [
      String(keys.length),
      ...keys,
      ...args,
      this.#options.now ? String(this.#options.now()) : "",
    ];
    try {
      return await this.command<unknown>(["EVALSHA", script.sha, ...tail]);
    } catch (error) {
      if (!(error instanceof ErrorReply) || !error.message.startsWith("NOSCRIPT")) throw error;
      return this.command<unknown>(["EVAL", script.source, ...tail]);
    }
  }

  /** Records a failed call made outside {@link command}. */
  #fail(error: unknown): void {
    // A server error reply means Redis answered: a bug to report, not an outage.
    if (error instanceof ErrorReply) {
      if (!error.message.startsWith("NOSCRIPT")) this.#options.onError(error);
      return;
    }
    this.#lost(error);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#setOnline(false);
    await Promise.all([this.#closeClient(this.#client), this.#closeClient(this.#subscriber)]);
    await this.#syncing;
  }

  #lost(error: unknown): void {
    if (this.#closed) return;
    if (this.#online) this.#options.onError(error);
    this.#setOnline(false);
    this.#requestSync();
  }

  #setOnline(online: boolean): void {
    if (this.#online === online) return;
    this.#online = online;
    this.#options.onStatus(online);
  }

  #requestSync(): void {
    if (this.#closed) return;
    this.#syncWanted = true;
    this.#syncing ??= this.#syncLoop().finally(() => {
      this.#syncing = undefined;
    });
  }

  /**
   * Until a resync succeeds: wait for both connections, check that Redis answers, then let the
   * store re-publish what it owns. A reconnection during a resync asks for another one, so the
   * last connection is always the one that was synchronised.
   */
  async #syncLoop(): Promise<void> {
    while (this.#syncWanted && !this.#closed) {
      if (!this.#client.isReady || !this.#subscriber.isReady) {
        // Only a property check: poll often so a reconnection is used within a few ms.
        await sleep(READY_POLL_MS);
        continue;
      }
      this.#syncWanted = false;
      try {
        if (!this.#subscribed) {
          const listener = (message: string) => this.#options.onMessage(message);
          await this.#deadline(
            this.#subscriber.subscribe(this.#options.channel, listener),
            this.#options.commandTimeoutMs,
          );
          this.#subscribed = true;
        }
        await this.#deadline(this.#client.sendCommand(["PING"]), this.#options.commandTimeoutMs);
        await this.#deadline(this.#options.resync(), this.#options.resyncTimeoutMs);
        if (!this.#syncWanted) this.#setOnline(true);
      } catch (error) {
        if (error instanceof ErrorReply) this.#options.onError(error);
        this.#setOnline(false);
        this.#syncWanted = true;
        await sleep(this.#options.recoverIntervalMs);
      }
    }
  }

  #deadline<T>(promise: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new RedisTimeoutError(`Redis did not answer within ${ms} ms`)),
        ms,
      );
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  async #closeClient(client: Client): Promise<void> {
    if (!client.isOpen) return;
    // close() waits for pending replies, which a hung server never sends: bound it, then drop.
    const closed = client.close().then(() => true);
    const finished = await Promise.race([closed, sleep(this.#options.commandTimeoutMs, false)]);
    if (!finished && client.isOpen) client.destroy();
  }
}
