/**
 * Calls from a `--workers` worker to one store its primary holds, for the stores that have no
 * Redis to share (stored responses, runtime keys, budget counters): a call
 * `{tag, kind: "call", id, op, arg}` is answered by `{tag, kind: "reply", id, result | error}`, and
 * the primary may tell every worker of a change with `{tag, kind: "notice", op, arg}`. The tag keeps
 * each store's messages apart from the others' and from the state store's and the cluster's own
 * on the same channel.
 * @module
 */
import cluster from "node:cluster";
import { channelPort, type IpcPort } from "./ipc-port.js";

interface RpcCall {
  readonly tag: string;
  readonly kind: "call";
  readonly id: number;
  readonly op: string;
  readonly arg?: unknown;
}

interface RpcReply {
  readonly tag: string;
  readonly kind: "reply";
  readonly id: number;
  readonly result?: unknown;
  /** Set when the primary's store threw. */
  readonly error?: string;
}

interface RpcNotice {
  readonly tag: string;
  readonly kind: "notice";
  readonly op: string;
  readonly arg?: unknown;
}

type RpcMessage = RpcCall | RpcReply | RpcNotice;

/** The message as one with this tag, or undefined for anything else on the channel. */
function asRpcMessage(tag: string, message: unknown): RpcMessage | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const fields = message as Record<string, unknown>;
  if (fields.tag !== tag) return undefined;
  if ((fields.kind === "call" || fields.kind === "reply") && typeof fields.id !== "number") return undefined;
  if ((fields.kind === "call" || fields.kind === "notice") && typeof fields.op !== "string") return undefined;
  return fields.kind === "call" || fields.kind === "reply" || fields.kind === "notice"
    ? (message as RpcMessage)
    : undefined;
}

/** Drops `undefined` fields, which IPC's JSON would drop anyway, so test channels see the same. */
function withArg<T extends object>(message: T, field: string, value: unknown): T {
  return value === undefined ? message : { ...message, [field]: value };
}

export interface IpcRpcClientOptions {
  readonly port: IpcPort;
  /** The store's tag; the host must use the same. */
  readonly tag: string;
  /** How long a call waits for the primary. */
  readonly callTimeoutMs: number;
  /** The error a call rejects with when the primary is unreachable (the store's "unavailable"). */
  readonly unavailable: (reason: string) => Error;
  /** The primary's notices, in the order sent. */
  readonly onNotice?: (op: string, arg: unknown) => void;
}

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * A worker's end. A call the primary leaves unanswered for `callTimeoutMs`, or one made after the
 * channel closed, rejects with the store's unavailable error; a late answer is dropped.
 */
export class IpcRpcClient {
  readonly #options: IpcRpcClientOptions;
  readonly #pending = new Map<number, Pending>();
  readonly #stopListening: () => void;
  #nextId = 1;
  #open = true;

  constructor(options: IpcRpcClientOptions) {
    this.#options = options;
    this.#stopListening = options.port.listen(
      (raw) => this.#onMessage(raw),
      () => this.#end("the primary's channel closed"),
    );
  }

  get open(): boolean {
    return this.#open;
  }

  call(op: string, arg?: unknown): Promise<unknown> {
    const { tag, callTimeoutMs, unavailable, port } = this.#options;
    if (!this.#open) return Promise.reject(unavailable("the primary's channel is closed"));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(unavailable(`the primary did not answer within ${callTimeoutMs} ms`));
      }, callTimeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      port.post(withArg<RpcCall>({ tag, kind: "call", id, op }, "arg", arg));
    });
  }

  close(reason: string): void {
    this.#stopListening();
    this.#end(reason);
  }

  #onMessage(raw: unknown): void {
    const message = asRpcMessage(this.#options.tag, raw);
    if (message?.kind === "notice") {
      this.#options.onNotice?.(message.op, message.arg);
      return;
    }
    if (message?.kind !== "reply") return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    // The primary's store refused: a bug there, not an outage, so not "unavailable".
    if (message.error !== undefined) pending.reject(new Error(`${this.#options.tag}: ${message.error}`));
    else pending.resolve(message.result);
  }

  #end(reason: string): void {
    this.#open = false;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(this.#options.unavailable(reason));
    }
    this.#pending.clear();
  }
}

/** What the primary does with one call; a throw or rejection goes back as the call's error. */
export type RpcHandler = (op: string, arg: unknown) => unknown;

/**
 * The primary's end: answers every worker's calls through `handle`, in arrival order on the
 * primary's one event loop, and can notify every worker it serves.
 */
export class IpcRpcHost {
  readonly #tag: string;
  readonly #handle: RpcHandler;
  readonly #onError: (error: unknown) => void;
  readonly #ports = new Set<IpcPort>();

  constructor(tag: string, handle: RpcHandler, onError: (error: unknown) => void = () => {}) {
    this.#tag = tag;
    this.#handle = handle;
    this.#onError = onError;
  }

  /** Answers `port`'s calls until its channel closes or the returned function is called. */
  serve(port: IpcPort): () => void {
    this.#ports.add(port);
    const stop = port.listen(
      (raw) => {
        const message = asRpcMessage(this.#tag, raw);
        if (message?.kind === "call") this.#answer(port, message);
      },
      () => this.#ports.delete(port),
    );
    return () => {
      this.#ports.delete(port);
      stop();
    };
  }

  /** Tells every worker served now. */
  notify(op: string, arg?: unknown): void {
    const notice = withArg<RpcNotice>({ tag: this.#tag, kind: "notice", op }, "arg", arg);
    for (const port of this.#ports) port.post(notice);
  }

  /** Serves every worker forked from now on. */
  serveForkedWorkers(): void {
    cluster.on("fork", (worker) => {
      this.serve(channelPort(worker));
    });
  }

  #answer(port: IpcPort, call: RpcCall): void {
    const tag = this.#tag;
    new Promise((resolve) => resolve(this.#handle(call.op, call.arg))).then(
      (result) => port.post(withArg<RpcReply>({ tag, kind: "reply", id: call.id }, "result", result)),
      (error: unknown) => {
        this.#onError(error);
        const message = error instanceof Error ? error.message : String(error);
        port.post({ tag, kind: "reply", id: call.id, error: message } satisfies RpcReply);
      },
    );
  }
}
