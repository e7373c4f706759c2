/**
 * What a `--workers` worker's response store (ipc-client.ts) and the one store its primary holds
 * (ipc-host.ts) agree on: the tag of their calls on the channel (state/ipc-rpc.ts carries them) and
 * the environment that tells a worker its primary hosts the store.
 * @module
 */

export const RESPONSES_IPC_TAG = "switchyard:responses";

/**
 * Set to `ipc` in each worker's environment by a primary that hosts the response store; the
 * worker then uses it (`primaryResponsesPort` in ipc-client.ts).
 */
export const RESPONSES_HOST_ENV = "SWITCHYARD_RESPONSES_HOST";

export type ResponsesOp = "get" | "put" | "delete" | "stats";
