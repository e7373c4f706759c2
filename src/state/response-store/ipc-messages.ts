/**
 * The wire format between a `--workers` worker's response store (ipc-client.ts) and the one store
 * its primary holds (ipc-host.ts): a call `{kind: "call", id, op, arg}` and its answer
 * `{kind: "reply", id, result}` or `{kind: "reply", id, error}`, tagged so they never mix with the
 * state store's messages or the cluster's own on the same channel.
 * @module
 */

export const RESPONSES_IPC_TAG = "switchyard:responses";

/**
 * Set to `ipc` in each worker's environment by a primary that hosts the response store; the
 * worker then uses it (`primaryResponsesPort` in ipc-client.ts).
 */
export const RESPONSES_HOST_ENV = "SWITCHYARD_RESPONSES_HOST";

export type ResponsesOp = "get" | "put" | "delete" | "stats";

const OPS: ReadonlySet<string> = new Set<ResponsesOp>(["get", "put", "delete", "stats"]);

export interface ResponsesCall {
  readonly tag: typeof RESPONSES_IPC_TAG;
  readonly kind: "call";
  readonly id: number;
  readonly op: ResponsesOp;
  /** The id for get and delete, the entry for put; absent for stats. */
  readonly arg?: unknown;
}

export interface ResponsesReply {
  readonly tag: typeof RESPONSES_IPC_TAG;
  readonly kind: "reply";
  readonly id: number;
  readonly result?: unknown;
  /** Set when the primary's store threw. */
  readonly error?: string;
}

export function responsesCall(id: number, op: ResponsesOp, arg?: unknown): ResponsesCall {
  return arg === undefined
    ? { tag: RESPONSES_IPC_TAG, kind: "call", id, op }
    : { tag: RESPONSES_IPC_TAG, kind: "call", id, op, arg };
}

export function responsesReply(id: number, result: unknown): ResponsesReply {
  return result === undefined
    ? { tag: RESPONSES_IPC_TAG, kind: "reply", id }
    : { tag: RESPONSES_IPC_TAG, kind: "reply", id, result };
}

export function responsesError(id: number, error: unknown): ResponsesReply {
  const message = error instanceof Error ? error.message : String(error);
  return { tag: RESPONSES_IPC_TAG, kind: "reply", id, error: message };
}

/** The message as one of ours, or undefined for anything else on the channel. */
export function asResponsesMessage(message: unknown): ResponsesCall | ResponsesReply | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const fields = message as Record<string, unknown>;
  if (fields.tag !== RESPONSES_IPC_TAG || typeof fields.id !== "number") return undefined;
  if (fields.kind === "reply") return message as ResponsesReply;
  if (fields.kind === "call" && typeof fields.op === "string" && OPS.has(fields.op)) {
    return message as ResponsesCall;
  }
  return undefined;
}
