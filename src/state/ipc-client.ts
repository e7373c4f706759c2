/**
 * The {@link StateStore} of a `--workers` worker when there is no Redis: every call goes to the
 * store the primary holds (ipc-host.ts) over the worker's IPC channel, so caps, circuits and
 * registrations are exact across workers. A {@link MemoryStore} composed inside is the local view,
 * as in the Redis store: it mirrors every change the primary announces (this worker's own
 * included, which arrive before the call that made them resolves), it is the source of
 * {@link StateStore.subscribe} events, and it answers while the primary does not.
 *
 * Like the Redis store, `recordSuccess` calls the primary only when the local view shows failures
 * or a circuit that is not closed: every failure anywhere is announced, so the happy path costs
 * two messages per capped request (acquire and its answer) plus a one-way release.
 *
 * A call the primary leaves unanswered for `callTimeoutMs` (it is busy or stuck) answers from the
 * local view, and the store turns `degraded`: calls then answer locally at once (caps hold per
 * worker, counting every lease this worker holds), writes to registrations, health and keys are
 * kept and sent again, and every `recoverIntervalMs` the store tries the primary. Once it answers,
 * the kept writes go first, registrations are reloaded (differences announced) and calls go back
 * to the primary. A lease the primary granted after its acquire had timed out is given back. If
 * the channel closes (the primary is gone) the store stays degraded: node:cluster ends the worker
 * soon after anyway.
 * @module
 */
import { CLOSED_CIRCUIT } from "./circuit-snapshot.js";
import { type StateListener, warnOnError } from "./events.js";
import { IpcLease, type IpcLeaseOwner } from "./ipc-lease.js";
import {
  asIpcMessage,
  callMessage,
  decodeResult,
  FORWARDED,
  FORWARDED_METHODS,
  type ForwardedMethod,
  type GrantedLease,
  type IpcMethod,
  type IpcReply,
  STATE_HOST_ENV,
} from "./ipc-messages.js";
import { channelPort, type IpcPort } from "./ipc-port.js";
import { MemoryStore } from "./memory.js";
import type { CircuitSnapshot, Clock, Lease, StateStore, StoreStatus } from "./store.js";

export interface IpcStoreOptions {
  /** The channel to the primary; see {@link primaryStatePort}. */
  port: IpcPort;
  /** How long a call waits for the primary before the store answers locally (default 1000). */
  callTimeoutMs?: number;
  /** Pause between attempts to reach the primary again while degraded (default 250). */
  recoverIntervalMs?: number;
  /**
   * The local view's clock (default `Date.now`); a test that drives the primary's store's clock
   * drives this one alike. Call deadlines stay on the real clock.
   */
  now?: Clock;
  /** Errors nobody awaits: a primary that went silent, a call its store refused, a subscriber that threw. */
  onError?: (error: unknown) => void;
  onStatusChange?: (status: StoreStatus) => void;
}

/** A call the primary did not answer in time, or refused. */
export class IpcStateError extends Error {
  override readonly name = "IpcStateError";
}

/** Writes kept while the primary is silent; beyond this the oldest are dropped. */
const MAX_REPLAY = 10_000;

type Outcome = { readonly kind: "answer"; readonly result: unknown } | { readonly kind: "error" | "missed" };

const MISSED: Outcome = { kind: "missed" };

interface PendingCall {
  readonly method: IpcMethod;
  readonly sentAt: number;
  readonly settle: (outcome: Outcome) => void;
  /** Receives an answer that arrives after the call timed out (a granted lease to give back). */
  readonly late: ((result: unknown) => void) | undefined;
}

/**
 * The port to the primary when this process is a worker whose primary hosts the state (it says
 * so in the environment it forks workers with), else undefined.
 */
export function primaryStatePort(): IpcPort | undefined {
  if (process.env[STATE_HOST_ENV] !== "ipc" || !process.send) return undefined;
  return channelPort(process);
}

// The methods forwarded as they are (every entry of FORWARDED not written out in the class) are
// defined by the class's static block, so a method added to StateStore needs only its FORWARDED line.
export interface IpcStore extends Pick<StateStore, ForwardedMethod> {}

/**
 * A worker's store; see the module comment. Create it with {@link IpcStore.connect}, one per
 * process, closed on shutdown.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the static block defines the interface's members.
export class IpcStore implements StateStore {
  readonly kind = "ipc";
  readonly #port: IpcPort;
  readonly #local: MemoryStore;
  readonly #callTimeoutMs: number;
  readonly #recoverIntervalMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #onStatusChange: ((status: StoreStatus) => void) | undefined;
  readonly #pending = new Map<number, PendingCall>();
  /** Calls that timed out but whose late answer still needs handling, by call id. */
  readonly #abandoned = new Map<number, (result: unknown) => void>();
  readonly #replay = new Map<string, { method: ForwardedMethod; args: readonly unknown[] }>();
  readonly #stopListening: () => void;
  readonly #timeoutCheck: NodeJS.Timeout;
  readonly #leaseOwner: IpcLeaseOwner = {
    releaseRemote: (lease) => this.#post("release", [lease.id]),
    renewRemote: (lease, ttlMs) => this.#renew(lease, ttlMs),
  };
  #nextId = 1;
  #online = true;
  #channelOpen = true;
  #closed = false;
  #recovery: NodeJS.Timeout | undefined;
  #recovering = false;

  static {
    for (const method of FORWARDED_METHODS) {
      if (Object.hasOwn(IpcStore.prototype, method)) continue;
      Object.defineProperty(IpcStore.prototype, method, {
        value(this: IpcStore, ...args: unknown[]) {
          return this.#forward(method, args);
        },
        writable: true,
        configurable: true,
      });
    }
  }

  private constructor(options: IpcStoreOptions) {
    this.#port = options.port;
    this.#onError = options.onError ?? warnOnError;
    this.#onStatusChange = options.onStatusChange;
    this.#local = new MemoryStore({ now: options.now, onError: this.#onError });
    this.#callTimeoutMs = options.callTimeoutMs ?? 1_000;
    this.#recoverIntervalMs = options.recoverIntervalMs ?? 250;
    this.#stopListening = this.#port.listen(
      (message) => this.#onMessage(message),
      () => this.#onChannelClosed(),
    );
    // One check for all calls is cheaper than a timer per call; a call times out within 1¼ × the limit.
    this.#timeoutCheck = setInterval(() => this.#expireCalls(), Math.max(5, this.#callTimeoutMs / 4));
    this.#timeoutCheck.unref();
  }

  /**
   * Creates a store and loads the registrations the primary holds into its local view. Resolves
   * once the primary answered, or after `callTimeoutMs` with the store degraded (it keeps trying):
   * a worker starts serving either way.
   */
  static async connect(options: IpcStoreOptions): Promise<IpcStore> {
    const store = new IpcStore(options);
    const outcome = await store.#request("registrations", []);
    if (outcome.kind === "answer") await store.#pullRegistrations(outcome.result);
    return store;
  }

  async acquire(backendId: string, max: number, ttlMs: number): Promise<Lease | undefined> {
    if (this.#online) {
      const outcome = await this.#request("acquire", [backendId, max, ttlMs], (late) => {
        if (late) this.#post("release", [(late as GrantedLease).id]);
      });
      if (outcome.kind === "answer") {
        const granted = outcome.result as GrantedLease | undefined;
        if (!granted) return undefined;
        // Cap 0 never refuses: the local slot only counts this worker's leases for an outage.
        const local = this.#local.acquireNow(backendId, 0, ttlMs)!;
        return new IpcLease(this.#leaseOwner, backendId, granted.id, granted.inflight, ttlMs, local, true);
      }
    }
    const local = this.#local.acquireNow(backendId, max, ttlMs);
    if (!local) return undefined;
    return new IpcLease(this.#leaseOwner, backendId, local.id, local.inflight, ttlMs, local, false);
  }

  async recordSuccess(backendId: string): Promise<CircuitSnapshot> {
    // Every failure anywhere is announced to every worker: a local view of closed with no
    // failures means there is nothing on the primary to reset.
    const view = await this.#local.circuit(backendId);
    if (this.#online && view.state === "closed" && view.consecutiveFailures === 0) return CLOSED_CIRCUIT;
    return (await this.#forward("recordSuccess", [backendId])) as CircuitSnapshot;
  }

  subscribe(listener: StateListener): () => void {
    return this.#local.subscribe(listener);
  }

  status(): StoreStatus {
    return this.#online && !this.#closed ? "ok" : "degraded";
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopListening();
    this.#stopTrying();
    clearInterval(this.#timeoutCheck);
    for (const call of this.#pending.values()) call.settle(MISSED);
    this.#pending.clear();
    this.#abandoned.clear();
    await this.#local.close();
  }

  /** A forwarded method: the primary's answer, or the local view's when there is none. */
  async #forward(method: ForwardedMethod, args: readonly unknown[]): Promise<unknown> {
    if (this.#online) {
      const outcome = await this.#request(method, args);
      if (outcome.kind === "answer") return decodeResult(method, outcome.result);
      if (outcome.kind === "missed") this.#keep(method, args);
    } else {
      this.#keep(method, args);
    }
    const run = this.#local[method] as (...args: readonly unknown[]) => Promise<unknown>;
    return Reflect.apply(run, this.#local, args);
  }

  /** Keeps a write the primary may not have, to send once it answers again. */
  #keep(method: ForwardedMethod, args: readonly unknown[]): void {
    const key = FORWARDED[method].replayKey?.(args);
    if (key === undefined || this.#closed || !this.#channelOpen) return;
    this.#replay.delete(key);
    if (this.#replay.size >= MAX_REPLAY) {
      const oldest = this.#replay.keys().next().value;
      if (oldest !== undefined) this.#replay.delete(oldest);
    }
    this.#replay.set(key, { method, args });
  }

  async #renew(lease: IpcLease, ttlMs: number): Promise<boolean> {
    if (lease.remote && this.#online) {
      const outcome = await this.#request("renew", [lease.id, ttlMs]);
      if (outcome.kind === "answer") {
        if (outcome.result === true) void lease.local.renew(ttlMs);
        return outcome.result === true;
      }
    }
    return lease.local.renew(ttlMs);
  }

  #request(method: IpcMethod, args: readonly unknown[], late?: (result: unknown) => void): Promise<Outcome> {
    if (this.#closed || !this.#channelOpen) return Promise.resolve(MISSED);
    const id = this.#nextId++;
    return new Promise<Outcome>((settle) => {
      this.#pending.set(id, { method, sentAt: performance.now(), settle, late });
      this.#port.post(callMessage(id, method, args));
    });
  }

  /** A call nobody waits for (id 0): the primary sends no answer. */
  #post(method: IpcMethod, args: readonly unknown[]): void {
    if (!this.#closed && this.#channelOpen) this.#port.post(callMessage(0, method, args));
  }

  #onMessage(raw: unknown): void {
    const message = asIpcMessage(raw);
    if (message?.kind === "event") this.#local.mirror(message.event);
    else if (message?.kind === "reply") this.#settle(message);
  }

  #settle(reply: IpcReply): void {
    const call = this.#pending.get(reply.id);
    if (!call) {
      const late = this.#abandoned.get(reply.id);
      this.#abandoned.delete(reply.id);
      if (late && reply.error === undefined) late(reply.result);
      return;
    }
    this.#pending.delete(reply.id);
    if (reply.error === undefined) {
      call.settle({ kind: "answer", result: reply.result });
      return;
    }
    this.#onError(new IpcStateError(`the primary's store failed ${call.method}: ${reply.error}`));
    call.settle({ kind: "error" });
  }

  #expireCalls(): void {
    const deadline = performance.now() - this.#callTimeoutMs;
    let expired: PendingCall | undefined;
    // Ids grow with time and a Map keeps insertion order: the oldest calls come first.
    for (const [id, call] of this.#pending) {
      if (call.sentAt > deadline) break;
      this.#pending.delete(id);
      if (call.late) this.#abandoned.set(id, call.late);
      expired = call;
      call.settle(MISSED);
    }
    if (expired) {
      this.#goDegraded(
        new IpcStateError(`the primary did not answer ${expired.method} within ${this.#callTimeoutMs} ms`),
      );
    }
  }

  #goDegraded(error: unknown): void {
    if (this.#online) {
      this.#online = false;
      this.#onError(error);
      this.#onStatusChange?.("degraded");
    }
    if (this.#recovery === undefined && this.#channelOpen && !this.#closed) {
      this.#recovery = setInterval(() => void this.#recover(), this.#recoverIntervalMs);
      this.#recovery.unref();
    }
  }

  #onChannelClosed(): void {
    this.#channelOpen = false;
    this.#stopTrying();
    this.#replay.clear();
    this.#abandoned.clear();
    for (const call of this.#pending.values()) call.settle(MISSED);
    this.#pending.clear();
    if (!this.#closed) this.#goDegraded(new IpcStateError("the channel to the primary closed"));
  }

  /** One attempt to reach the primary again; see the module comment. */
  async #recover(): Promise<void> {
    if (this.#recovering || this.#online) return;
    this.#recovering = true;
    try {
      // The channel keeps order: the kept writes are applied before the read below is answered.
      for (const { method, args } of this.#replay.values()) this.#post(method, args);
      this.#replay.clear();
      const outcome = await this.#request("registrations", []);
      if (outcome.kind !== "answer" || this.#closed) return;
      await this.#pullRegistrations(outcome.result);
      this.#stopTrying();
      this.#online = true;
      this.#onStatusChange?.("ok");
    } finally {
      this.#recovering = false;
    }
  }

  #stopTrying(): void {
    clearInterval(this.#recovery);
    this.#recovery = undefined;
  }

  /** Brings the local view in line with the primary's registrations, announcing the differences. */
  async #pullRegistrations(result: unknown): Promise<void> {
    const remote = decodeResult("registrations", result) as Map<string, unknown>;
    const local = await this.#local.registrations();
    for (const [id, record] of remote) {
      if (!local.has(id) || JSON.stringify(local.get(id)) !== JSON.stringify(record)) {
        await this.#local.putRegistration(id, record);
      }
    }
    for (const id of local.keys()) if (!remote.has(id)) await this.#local.deleteRegistration(id);
  }
}
