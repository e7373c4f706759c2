/**
 * The wire format between the IPC store (ipc-client.ts, in each worker) and its host (ipc-host.ts,
 * in the primary). Three messages, all tagged `switchyard:state` so they never mix with the
 * cluster's own:
 * - a call `{kind: "call", id, method, args}`: a {@link StateStore} method run on the primary's
 *   store, or one of the {@link LeaseMethod}s; `id` 0 asks for no answer (a release);
 * - its answer `{kind: "reply", id, result}` or `{kind: "reply", id, error}`;
 * - an event `{kind: "event", event}`: every change of the primary's store, sent to every worker.
 *
 * Messages travel as JSON (the default of node:cluster), so a method's answer crosses as is unless
 * {@link FORWARDED} says otherwise; arguments are never `undefined`.
 * @module
 */
import type { StateEvent } from "./events.js";
import type { StateStore } from "./store.js";

export const IPC_TAG = "switchyard:state";

/**
 * Set to `ipc` in each worker's environment by a primary that hosts the state (ipc-host.ts); the
 * worker then joins it (`primaryStatePort` in ipc-client.ts).
 */
export const STATE_HOST_ENV = "SWITCHYARD_STATE_HOST";

/** Every store method whose call a worker forwards to the primary unchanged. */
export type ForwardedMethod = Exclude<
  keyof StateStore,
  "kind" | "acquire" | "subscribe" | "status" | "close"
>;

/** Calls that act on one lease, by id, or on the channel itself. */
export type LeaseMethod = "acquire" | "release" | "renew" | "ping";

export type IpcMethod = ForwardedMethod | LeaseMethod;

/** How one forwarded method crosses the channel, when not as is. */
export interface MethodSpec {
  /** The answer is a Map, which JSON cannot carry: it crosses as its entries. */
  readonly map?: true;
  /**
   * Marks a write that a worker keeps while the primary does not answer and sends again once it
   * does; the key names what it writes, so a later write to the same thing replaces an earlier.
   */
  readonly replayKey?: (args: readonly unknown[]) => string;
}

/**
 * Every forwarded method, and how it crosses. The one place to touch when {@link StateStore}
 * gains a method: the client forwards each entry and the host answers it.
 */
export const FORWARDED: Readonly<Record<ForwardedMethod, MethodSpec>> = {
  inflight: {},
  recordFailure: {},
  recordSuccess: {},
  circuit: {},
  tryProbe: {},
  setHealth: { replayKey: (args) => `health:${String(args[0])}` },
  health: {},
  coolDownKey: { replayKey: (args) => `cool:${String(args[0])}` },
  disableKey: { replayKey: (args) => `disable:${String(args[0])}` },
  keyStates: { map: true },
  addToWindow: {},
  putRegistration: { replayKey: (args) => `registration:${String(args[0])}` },
  deleteRegistration: { replayKey: (args) => `registration:${String(args[0])}` },
  registrations: { map: true },
};

export const FORWARDED_METHODS = Object.keys(FORWARDED) as ForwardedMethod[];

const LEASE_METHODS: ReadonlySet<string> = new Set<LeaseMethod>(["acquire", "release", "renew", "ping"]);

export function isIpcMethod(method: unknown): method is IpcMethod {
  return typeof method === "string" && (LEASE_METHODS.has(method) || Object.hasOwn(FORWARDED, method));
}

export interface IpcCall {
  readonly tag: typeof IPC_TAG;
  readonly kind: "call";
  readonly id: number;
  readonly method: IpcMethod;
  readonly args: readonly unknown[];
}

export interface IpcReply {
  readonly tag: typeof IPC_TAG;
  readonly kind: "reply";
  readonly id: number;
  readonly result?: unknown;
  /** Set when the primary's store threw; the worker then answers from its local view. */
  readonly error?: string;
}

export interface IpcEvent {
  readonly tag: typeof IPC_TAG;
  readonly kind: "event";
  readonly event: StateEvent;
}

export type IpcMessage = IpcCall | IpcReply | IpcEvent;

/** What `acquire` answers for a granted lease (undefined when refused). */
export interface GrantedLease {
  readonly id: string;
  readonly inflight: number;
}

export function callMessage(id: number, method: IpcMethod, args: readonly unknown[]): IpcCall {
  return { tag: IPC_TAG, kind: "call", id, method, args };
}

export function replyMessage(id: number, method: IpcMethod, result: unknown): IpcReply {
  const encoded = isMapMethod(method) && result instanceof Map ? [...result] : result;
  return { tag: IPC_TAG, kind: "reply", id, result: encoded };
}

export function errorMessage(id: number, error: unknown): IpcReply {
  return { tag: IPC_TAG, kind: "reply", id, error: error instanceof Error ? error.message : String(error) };
}

export function eventMessage(event: StateEvent): IpcEvent {
  return { tag: IPC_TAG, kind: "event", event };
}

/** The answer as the store method returns it: entries back into a Map. */
export function decodeResult(method: IpcMethod, result: unknown): unknown {
  return isMapMethod(method) ? new Map(Array.isArray(result) ? result : []) : result;
}

/** The message as one of ours, or undefined for anything else on the channel. */
export function asIpcMessage(message: unknown): IpcMessage | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const fields = message as Record<string, unknown>;
  if (fields.tag !== IPC_TAG) return undefined;
  switch (fields.kind) {
    case "call":
      return typeof fields.id === "number" && isIpcMethod(fields.method) && Array.isArray(fields.args)
        ? (message as IpcCall)
        : undefined;
    case "reply":
      return typeof fields.id === "number" ? (message as IpcReply) : undefined;
    case "event":
      return typeof fields.event === "object" && fields.event !== null ? (message as IpcEvent) : undefined;
    default:
      return undefined;
  }
}

function isMapMethod(method: IpcMethod): boolean {
  return method in FORWARDED && FORWARDED[method as ForwardedMethod].map === true;
}
