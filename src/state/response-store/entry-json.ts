/**
 * Entries travel through the stores as JSON text: one serialization gives the copy that makes a
 * stored entry immune to its caller's later changes, and the byte count every bound is kept in.
 * @module
 */
import type { StoredResponse } from "./response-store.js";

export interface EncodedEntry {
  readonly json: string;
  /** UTF-8 bytes of `json`: what the byte bounds count. */
  readonly bytes: number;
}

export function encodeEntry(entry: StoredResponse): EncodedEntry {
  const stored: StoredResponse = {
    id: entry.id,
    response: entry.response,
    input: entry.input,
    createdAt: entry.createdAt,
    ...(entry.backendId === undefined ? {} : { backendId: entry.backendId }),
  };
  const json = JSON.stringify(stored);
  return { json, bytes: Buffer.byteLength(json) };
}

export function decodeEntry(json: string): StoredResponse {
  return JSON.parse(json) as StoredResponse;
}
