/**
 * The wire format of the Redis store's pub/sub channel: `{"origin": <store id>, "event": <StateEvent>}`
 * as JSON. `origin` lets a store skip its own echoes. Scripts that compute part of an event (a
 * circuit snapshot, a key state) receive the message prefix made here and append the rest, so
 * ids are escaped by `JSON.stringify` alone. Incoming messages are checked field by field: the
 * channel is shared, and a malformed message must not reach the gateway's state.
 * @module
 */
import type { StateEvent } from "./events.js";
import type { CircuitSnapshot, CircuitState, KeyState } from "./store.js";

export interface Message {
  readonly origin: string;
  readonly event: StateEvent;
}

export function encodeMessage(origin: string, event: StateEvent): string {
  return JSON.stringify({ origin, event });
}

/** Everything before the snapshot object; the script appends `{…}}}`. */
export function circuitMessagePrefix(origin: string, backendId: string): string {
  return `{"origin":${JSON.stringify(origin)},"event":{"type":"circuit","backendId":${JSON.stringify(backendId)},"snapshot":`;
}

/** Everything before the key state object; the script appends `{…}}}`. */
export function keyMessagePrefix(origin: string, fingerprint: string): string {
  return `{"origin":${JSON.stringify(origin)},"event":{"type":"key","fingerprint":${JSON.stringify(fingerprint)},"state":`;
}

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const CIRCUIT_STATES: ReadonlySet<string> = new Set<CircuitState>(["closed", "open", "half_open"]);

function snapshotOf(value: unknown): CircuitSnapshot | undefined {
  if (!isFields(value)) return undefined;
  const { state, consecutiveFailures, openedUntil } = value;
  if (typeof state !== "string" || !CIRCUIT_STATES.has(state)) return undefined;
  if (typeof consecutiveFailures !== "number" || typeof openedUntil !== "number") return undefined;
  return { state: state as CircuitState, consecutiveFailures, openedUntil };
}

function keyStateOf(value: unknown): KeyState | undefined {
  if (!isFields(value) || typeof value.coolingDownUntil !== "number") return undefined;
  const { coolingDownUntil, disabledReason } = value;
  if (disabledReason === undefined) return { coolingDownUntil };
  return typeof disabledReason === "string" ? { coolingDownUntil, disabledReason } : undefined;
}

function eventOf(value: unknown): StateEvent | undefined {
  if (!isFields(value)) return undefined;
  switch (value.type) {
    case "put":
      return typeof value.id === "string" ? { type: "put", id: value.id, record: value.record } : undefined;
    case "delete":
      return typeof value.id === "string" ? { type: "delete", id: value.id } : undefined;
    case "circuit": {
      const snapshot = snapshotOf(value.snapshot);
      if (typeof value.backendId !== "string" || !snapshot) return undefined;
      return { type: "circuit", backendId: value.backendId, snapshot };
    }
    case "health":
      if (typeof value.backendId !== "string" || typeof value.healthy !== "boolean") return undefined;
      return { type: "health", backendId: value.backendId, healthy: value.healthy };
    case "key": {
      const state = keyStateOf(value.state);
      if (typeof value.fingerprint !== "string" || !state) return undefined;
      return { type: "key", fingerprint: value.fingerprint, state };
    }
    default:
      return undefined;
  }
}

/** The message, or undefined when `raw` is not one. */
export function decodeMessage(raw: string): Message | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isFields(parsed) || typeof parsed.origin !== "string") return undefined;
  const event = eventOf(parsed.event);
  return event ? { origin: parsed.origin, event } : undefined;
}
