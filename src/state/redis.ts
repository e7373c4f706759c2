/**
 * The Redis-backed {@link StateStore}: what replicas must agree on lives in Redis (layout in
 * redis-keys.ts, atomic changes in redis-scripts.ts), and every change is announced on one
 * pub/sub channel. A {@link MemoryStore} composed inside is the local view: it mirrors every
 * change this replica makes or hears of, it is the source of {@link StateStore.subscribe}
 * events, and it answers every call while Redis is unreachable.
 *
 * While connected everything is exact and atomic across replicas, with one deliberate shortcut:
 * `recordSuccess` goes to Redis only when the local view shows failures or a circuit that is not
 * closed (every failure is announced, so the view knows). A success that lands within the event
 * delay (about a millisecond) of another replica's first failure may therefore not reset that
 * count. That keeps the happy path at two Redis commands per request: acquire and release.
 *
 * During an outage (status `degraded`), calls resolve from the local view without waiting on
 * Redis. What stays exact and what does not:
 * - Leases: a replica keeps to the share of each cap it held when Redis went away (counting
 *   every lease it holds, taken before or during the outage), so the replicas together stay
 *   within the cap; a replica that held none of a backend's leases takes none until Redis is
 *   back. After an outage longer than the lease TTL the share lapses and the whole cap applies
 *   per replica (a cap of N can then reach N per replica). After reconnection each replica keeps
 *   to its share for `settleMs` more, until every replica has put its leases back. A replica
 *   that was the only one keeps the whole cap (redis-lease-shares.ts).
 *   `inflight` counts this replica's leases only. Releases are queued and replayed.
 * - Circuits and health: the last state this replica saw (its own results, others' announced
 *   changes), then its own results only; the half-open probe is reserved per replica. Health marks made during the outage are pushed on
 *   resync; circuit failures counted during it are not (Redis's count resumes where it was).
 * - Key cooldowns: this replica's own and the ones announced before the outage; its own are
 *   pushed on resync.
 * - Rate-limit windows: counted per replica, so a limit L admits up to L per replica.
 * - Registrations: the last known map; puts and deletes made here apply locally at once and
 *   are replayed.
 *
 * On reconnection, before calls go back to Redis, the store replays queued writes, puts back
 * every registration this process owns (what it put and nobody replaced or deleted since) and
 * every lease it holds while dropping its own leases Redis still has for finished requests (so
 * global counts are right again, see redis-leases.ts), then reloads registrations and health
 * marks, announcing the differences. When Redis lost its data (a restart without persistence,
 * detected by the `epoch` key) registrations missing from it are kept, since their owners are
 * re-publishing them; otherwise missing ones are announced as deleted.
 * @module
 */
import { randomBytes } from "node:crypto";
import { CLOSED_CIRCUIT, circuitSnapshot } from "./circuit-snapshot.js";
import { type StateEvent, type StateListener, warnOnError } from "./events.js";
import { MemoryStore } from "./memory.js";
import { attempt, ReplayQueue } from "./redis-fallback.js";
import { RedisKeys } from "./redis-keys.js";
import { RedisLeases } from "./redis-leases.js";
import { RedisLink, RedisReplyError } from "./redis-link.js";
import { circuitMessagePrefix, decodeMessage, encodeMessage, keyMessagePrefix } from "./redis-messages.js";
import { RedisRegistrations } from "./redis-registrations.js";
import { hashEntries, integers } from "./redis-replies.js";
import * as scripts from "./redis-scripts.js";
import type {
  CircuitSnapshot,
  Clock,
  KeyState,
  Lease,
  StateStore,
  StoreStatus,
  WindowResult,
} from "./store.js";

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  url: string;
  /** Inserted after `switchyard:` in every key, so several fleets or tests can share a server. */
  namespace?: string;
  /** Deadline of one Redis command before the store falls back to its local view (default 250). */
  commandTimeoutMs?: number;
  /** Pause between reconnection checks while degraded (default 250). */
  recoverIntervalMs?: number;
  /** Deadline of the resynchronisation after a reconnection (default 2000). */
  resyncTimeoutMs?: number;
  /**
   * How long after a reconnection a replica still keeps to the share of each cap it held when
   * Redis went away, so every replica has put its leases back before Redis's count alone decides
   * (default: twice `resyncTimeoutMs` plus the longest reconnection pause, 5000).
   */
  settleMs?: number;
  /** How long {@link RedisStore.connect} waits for the first connection before it returns degraded (default 2000). */
  connectWaitMs?: number;
  /**
   * For tests: the store, its scripts included, measures time with this clock instead of the
   * Redis server's (and this host's for its local view). Replicas sharing a server must share it.
   */
  now?: Clock;
  /** Errors nobody awaits: a lost connection, a malformed event, a subscriber that threw. */
  onError?: (error: unknown) => void;
  onStatusChange?: (status: StoreStatus) => void;
}

/** Longest pause between two reconnection tries of the link (redis-link.ts). */
const MAX_RECONNECT_PAUSE_MS = 1_000;

/** Time for every replica to reconnect and resynchronise after Redis is back. */
function settleTime(resyncTimeoutMs: number): number {
  return 2 * resyncTimeoutMs + MAX_RECONNECT_PAUSE_MS;
}

/**
 * The replicated store; see the module comment for the outage contract. Create it with
 * {@link RedisStore.connect}; one per process (it holds two connections), closed on shutdown.
 */
export class RedisStore implements StateStore {
  readonly kind = "redis";
  readonly #keys: RedisKeys;
  readonly #local: MemoryStore;
  readonly #link: RedisLink;
  readonly #replay: ReplayQueue;
  readonly #leases: RedisLeases;
  readonly #registrations: RedisRegistrations;
  readonly #onError: (error: unknown) => void;
  readonly #now: Clock;
  /** Tells this store's messages apart from other replicas' on the shared channel. */
  readonly #origin = randomBytes(9).toString("base64url");
  #epoch: string | undefined;
  #closed = false;

  private constructor(options: RedisStoreOptions) {
    const onError = options.onError ?? warnOnError;
    const onStatusChange = options.onStatusChange;
    this.#onError = onError;
    this.#now = options.now ?? Date.now;
    this.#keys = new RedisKeys(options.namespace);
    const resyncTimeoutMs = options.resyncTimeoutMs ?? 2_000;
    this.#local = new MemoryStore({ now: this.#now, onError });
    this.#link = new RedisLink({
      url: options.url,
      commandTimeoutMs: options.commandTimeoutMs ?? 250,
      recoverIntervalMs: options.recoverIntervalMs ?? 250,
      resyncTimeoutMs,
      channel: this.#keys.channel,
      now: options.now,
      onMessage: (message) => this.#onMessage(message),
      resync: () => this.#resync(),
      onStatus: (online) => this.#linkStatus(online, onStatusChange),
      onError,
    });
    this.#replay = new ReplayQueue(this.#link, onError);
    const parts = { link: this.#link, keys: this.#keys, local: this.#local, replay: this.#replay, onError };
    this.#leases = new RedisLeases({
      ...parts,
      now: this.#now,
      settleMs: options.settleMs ?? settleTime(resyncTimeoutMs),
    });
    this.#registrations = new RedisRegistrations({ ...parts, origin: this.#origin });
  }

  /**
   * Creates a store and connects it. Resolves once Redis answered and the store is in sync, or
   * after `connectWaitMs` with the store degraded (it keeps connecting in the background): a
   * gateway starts serving whether or not Redis is there.
   */
  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const store = new RedisStore(options);
    await store.#link.start(options.connectWaitMs ?? 2_000);
    return store;
  }

  acquire(backendId: string, max: number, ttlMs: number): Promise<Lease | undefined> {
    return this.#leases.acquire(backendId, max, ttlMs);
  }

  inflight(backendId: string): Promise<number> {
    return this.#leases.inflight(backendId);
  }

  recordFailure(backendId: string, threshold: number, openMs: number): Promise<CircuitSnapshot> {
    return this.#attempt(
      async () => {
        const reply = await this.#link.script(
          scripts.RECORD_FAILURE,
          [this.#keys.circuit(backendId), this.#keys.probe(backendId)],
          [
            String(threshold),
            String(openMs),
            this.#keys.channel,
            circuitMessagePrefix(this.#origin, backendId),
          ],
        );
        const [failures, openedUntil, now] = integers(reply, 3) as [number, number, number];
        const snapshot = circuitSnapshot(failures, openedUntil, now);
        this.#local.restoreCircuit(backendId, snapshot, openMs);
        return snapshot;
      },
      () => this.#local.recordFailure(backendId, threshold, openMs),
    );
  }

  async recordSuccess(backendId: string): Promise<CircuitSnapshot> {
    // The happy path costs no round trip: every failure anywhere is announced, so a local view of
    // closed with no failures means there is nothing in Redis to reset.
    const view = await this.#local.circuit(backendId);
    if (this.#link.online && view.state === "closed" && view.consecutiveFailures === 0) return CLOSED_CIRCUIT;
    return this.#attempt(
      async () => {
        await this.#link.script(
          scripts.RECORD_SUCCESS,
          [this.#keys.circuit(backendId), this.#keys.probe(backendId)],
          [this.#keys.channel, circuitMessagePrefix(this.#origin, backendId)],
        );
        this.#local.restoreCircuit(backendId, CLOSED_CIRCUIT);
        return CLOSED_CIRCUIT;
      },
      () => this.#local.recordSuccess(backendId),
    );
  }

  circuit(backendId: string): Promise<CircuitSnapshot> {
    return this.#attempt(
      async () => {
        const reply = await this.#link.script(scripts.CIRCUIT, [this.#keys.circuit(backendId)], []);
        const [failures, openedUntil, now] = integers(reply, 3) as [number, number, number];
        const snapshot = circuitSnapshot(failures, openedUntil, now);
        this.#local.restoreCircuit(backendId, snapshot);
        return snapshot;
      },
      () => this.#local.circuit(backendId),
    );
  }

  tryProbe(backendId: string): Promise<boolean> {
    return this.#attempt(
      async () => {
        const keys = [this.#keys.circuit(backendId), this.#keys.probe(backendId)];
        return (await this.#link.script(scripts.TRY_PROBE, keys, [])) === 1;
      },
      () => this.#local.tryProbe(backendId),
    );
  }

  async setHealth(backendId: string, healthy: boolean): Promise<void> {
    await this.#local.setHealth(backendId, healthy);
    const message = encodeMessage(this.#origin, { type: "health", backendId, healthy });
    await this.#replay.write(`health:${backendId}`, () =>
      this.#link.script(
        scripts.SET_HEALTH,
        [this.#keys.health],
        [backendId, healthy ? "1" : "0", this.#keys.channel, message],
      ),
    );
  }

  health(backendId: string): Promise<boolean | undefined> {
    return this.#attempt(
      async () => {
        const mark = await this.#link.command<string | null>(["HGET", this.#keys.health, backendId]);
        if (mark === null) return undefined;
        await this.#local.setHealth(backendId, mark === "1");
        return mark === "1";
      },
      () => this.#local.health(backendId),
    );
  }

  async coolDownKey(fingerprint: string, untilMs: number): Promise<void> {
    await this.#local.coolDownKey(fingerprint, untilMs);
    await this.#replay.write(`cool:${fingerprint}`, () =>
      this.#link.script(
        scripts.COOL_DOWN_KEY,
        [this.#keys.key(fingerprint)],
        [String(untilMs), this.#keys.channel, keyMessagePrefix(this.#origin, fingerprint)],
      ),
    );
  }

  async disableKey(fingerprint: string, reason: string): Promise<void> {
    await this.#local.disableKey(fingerprint, reason);
    await this.#replay.write(`disable:${fingerprint}`, () =>
      this.#link.script(
        scripts.DISABLE_KEY,
        [this.#keys.key(fingerprint)],
        [reason, this.#keys.channel, keyMessagePrefix(this.#origin, fingerprint)],
      ),
    );
  }

  keyStates(fingerprints: readonly string[]): Promise<Map<string, KeyState>> {
    return this.#attempt(
      async () => {
        // Issued in one tick, so node-redis writes them as one pipeline: one round trip.
        const replies = await Promise.all(
          fingerprints.map((fingerprint) =>
            this.#link.command<(string | null)[]>([
              "HMGET",
              this.#keys.key(fingerprint),
              "until",
              "disabled",
            ]),
          ),
        );
        const now = this.#now();
        const states = new Map<string, KeyState>();
        fingerprints.forEach((fingerprint, index) => {
          const [until, disabled] = replies[index] ?? [];
          const coolingDownUntil = until && Number(until) > now ? Number(until) : 0;
          const state: KeyState = disabled
            ? { coolingDownUntil, disabledReason: disabled }
            : { coolingDownUntil };
          states.set(fingerprint, state);
          this.#local.restoreKeyState(fingerprint, state);
        });
        return states;
      },
      () => this.#local.keyStates(fingerprints),
    );
  }

  addToWindow(key: string, windowMs: number, amount: number, limit: number): Promise<WindowResult> {
    return this.#attempt(
      async () => {
        const reply = await this.#link.script(
          scripts.ADD_TO_WINDOW,
          [this.#keys.window(key)],
          [String(windowMs), String(amount), String(limit)],
        );
        const [allowed, total, resetMs] = integers(reply, 3) as [number, number, number];
        return { allowed: allowed === 1, total, resetMs };
      },
      () => this.#local.addToWindow(key, windowMs, amount, limit),
    );
  }

  putRegistration(id: string, record: unknown): Promise<void> {
    return this.#registrations.put(id, record);
  }

  deleteRegistration(id: string): Promise<void> {
    return this.#registrations.delete(id);
  }

  registrations(): Promise<Map<string, unknown>> {
    return this.#registrations.all();
  }

  subscribe(listener: StateListener): () => void {
    return this.#local.subscribe(listener);
  }

  status(): StoreStatus {
    return this.#link.healthy ? "ok" : "degraded";
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#link.close();
    await this.#local.close();
  }

  #attempt<T>(remote: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    return attempt(this.#link, remote, local, this.#onError);
  }

  #onMessage(raw: string): void {
    const message = decodeMessage(raw);
    if (!message) {
      this.#onError(new RedisReplyError(`malformed message on ${this.#keys.channel}`));
      return;
    }
    // Our own changes reached the local view when they were made.
    if (message.origin !== this.#origin) this.#apply(message.event);
  }

  /** Brings another replica's change into the local view, which announces it to subscribers. */
  #apply(event: StateEvent): void {
    switch (event.type) {
      case "put":
      case "delete":
        // Registrations also track their owners, for re-publishing after a Redis restart.
        this.#registrations.heard(event);
        return;
      default:
        this.#local.mirror(event);
    }
  }

  /** Runs on every (re)connection, before calls go back to Redis. See the module comment. */
  async #resync(): Promise<void> {
    const marker = randomBytes(9).toString("hex");
    const epoch = String(await this.#link.script(scripts.EPOCH, [this.#keys.epoch], [marker]));
    const dataLost = this.#epoch !== undefined && epoch !== this.#epoch;
    this.#epoch = epoch;
    await Promise.all([this.#replay.flush(), this.#registrations.republish(), this.#leases.reassertAll()]);
    await Promise.all([this.#registrations.pull(dataLost), this.#pullHealth()]);
  }

  #linkStatus(online: boolean, onStatusChange: ((status: StoreStatus) => void) | undefined): void {
    this.#leases.linkStatus(online);
    if (online) {
      // Writes queued while the resync ran (a release during it) would otherwise wait for the
      // next outage; so would leases taken in that gap. A failure here means the link is down again.
      void Promise.all([this.#replay.flush(), this.#leases.adoptMissing()]).catch(() => {});
    }
    onStatusChange?.(online ? "ok" : "degraded");
  }

  async #pullHealth(): Promise<void> {
    const reply = await this.#link.command<unknown>(["HGETALL", this.#keys.health]);
    for (const [backendId, mark] of hashEntries(reply)) await this.#local.setHealth(backendId, mark === "1");
  }
}
