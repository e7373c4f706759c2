/**
 * The gateway's side of KV admission (`kv_admission`): one {@link KvAdmission} per engine whose KV
 * capacity is known (configured, or stated by the engine), and the waiting around it. A request the strategy routed to such an
 * engine `enter`s its gate, waits (bounded in queue length and in time) until the engine's working
 * set has room, and calls `release` once its attempt settles, which starts its session's hold and
 * lets the next queued turns through. Wake-ups come from releases and from a timer at the queue's
 * next hold expiry or wait-bound crossing, so a gate with nothing queued holds no timer.
 * @module
 */
import type { AbortSource } from "./capacity-queue.js";
import { KvAdmission, type KvAdmissionSettings, type KvTurn } from "./kv-admission.js";
import { waitInQueue } from "./queue-wait.js";

export type KvGateSettings = Omit<KvAdmissionSettings, "capacityBlocks">;

/** How `enter` ended: admitted (call `release` exactly once when the attempt settles), or not. */
export type KvEntry =
  | { readonly kind: "admitted"; readonly release: () => void }
  | { readonly kind: "full" | "timeout" | "aborted" };

interface Ticket extends KvTurn {
  admitted: () => void;
}

class Gate {
  readonly admission: KvAdmission<Ticket>;
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    public capacityTokens: number,
    readonly blockTokens: number,
    admission: (capacityBlocks: number) => KvAdmission<Ticket>,
  ) {
    this.admission = admission(this.capacityBlocks);
  }

  get capacityBlocks(): number {
    return Math.floor(this.capacityTokens / this.blockTokens);
  }

  /** A reload or the engine's metrics gave another capacity: the same gate, a new budget. */
  resize(capacityTokens: number): void {
    this.capacityTokens = capacityTokens;
    this.admission.setCapacity(this.capacityBlocks);
  }
}

/** One gate as /status shows it. */
export interface KvGateView {
  capacity_tokens: number;
  capacity_blocks: number;
  working_set_blocks: number;
  running: number;
  queued: number;
}

export class KvGates {
  readonly #settings: KvGateSettings;
  readonly #now: () => number;
  readonly #gates = new Map<string, Gate>();

  constructor(settings: KvGateSettings, now: () => number = () => performance.now()) {
    this.#settings = settings;
    this.#now = now;
  }

  /** Turns waiting at `backendId`'s gate (0 when it has none). */
  queued(backendId: string): number {
    return this.#gates.get(backendId)?.admission.queued ?? 0;
  }

  /** Turns let through at `backendId`'s gate and not yet released. */
  running(backendId: string): number {
    return this.#gates.get(backendId)?.admission.running ?? 0;
  }

  /** Every gate there is (one per backend a request entered with admission on), by backend. */
  snapshot(): Record<string, KvGateView> {
    const views: Record<string, KvGateView> = {};
    for (const [backendId, gate] of this.#gates) {
      views[backendId] = {
        capacity_tokens: gate.capacityTokens,
        capacity_blocks: gate.capacityBlocks,
        working_set_blocks: gate.admission.workingSetBlocks,
        running: gate.admission.running,
        queued: gate.admission.queued,
      };
    }
    return views;
  }

  /**
   * A backend was removed: its gate goes. Turns it admitted still release into it, and turns it
   * queued still time out or are let in by those releases; nothing new reaches it.
   */
  forget(backendId: string): void {
    const gate = this.#gates.get(backendId);
    if (gate === undefined) return;
    clearTimeout(gate.timer);
    this.#gates.delete(backendId);
  }

  /**
   * Waits, at most `timeoutMs`, for room at `backendId`, an engine of `capacityTokens` KV tokens.
   * `full` at once when its queue is at `maxQueue`.
   */
  enter(
    backendId: string,
    capacityTokens: number,
    turn: KvTurn,
    timeoutMs: number,
    signal: AbortSource,
  ): Promise<KvEntry> {
    if (signal.aborted) return Promise.resolve({ kind: "aborted" });
    const gate = this.#gateFor(backendId, capacityTokens);
    const ticket: Ticket = {
      session: turn.session,
      blockHashes: turn.blockHashes,
      outputTokens: turn.outputTokens,
      admitted: () => {},
    };
    if (!gate.admission.enqueue(ticket)) return Promise.resolve({ kind: "full" });
    return waitInQueue<KvEntry>({
      join: (settle) => {
        ticket.admitted = () => settle({ kind: "admitted", release: this.#releaser(gate, ticket) });
        this.#pump(gate);
      },
      // Admission took it out already when it was let through.
      leave: () => gate.admission.withdraw(ticket),
      timeoutMs,
      signal,
      timedOut: { kind: "timeout" },
      aborted: { kind: "aborted" },
    });
  }

  #releaser(gate: Gate, ticket: Ticket): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      gate.admission.ended(ticket);
      this.#pump(gate);
    };
  }

  /** Lets through what fits, then sets the timer for the next moment the order or the room may change. */
  #pump(gate: Gate): void {
    for (const ticket of gate.admission.admit()) ticket.admitted();
    clearTimeout(gate.timer);
    gate.timer = undefined;
    const wakeAt = gate.admission.nextWakeMs();
    if (wakeAt === undefined) return;
    gate.timer = setTimeout(() => this.#pump(gate), Math.max(0, wakeAt - this.#now()));
    gate.timer.unref?.();
  }

  #gateFor(backendId: string, capacityTokens: number): Gate {
    let gate = this.#gates.get(backendId);
    if (gate === undefined) {
      gate = new Gate(
        capacityTokens,
        this.#settings.blockTokens,
        (capacityBlocks) => new KvAdmission({ ...this.#settings, capacityBlocks }, this.#now),
      );
      this.#gates.set(backendId, gate);
    } else if (gate.capacityTokens !== capacityTokens) {
      // What it holds stays counted; the caller's enqueue and pump then admit on the new budget.
      gate.resize(capacityTokens);
    }
    return gate;
  }
}
