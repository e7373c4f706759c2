/**
 * Lease ids that are unique across replicas without coordination: a random per-store prefix and a
 * counter. Cheaper than a UUID per request, and the prefix tells which store took a lease: a
 * store finds its own stale leases in Redis by it after an outage.
 * @module
 */
import { randomBytes } from "node:crypto";

export interface LeaseIdSource {
  (): string;
  /** What every id of this source starts with (the separator included). */
  readonly prefix: string;
}

export function leaseIdSource(): LeaseIdSource {
  const prefix = `${randomBytes(6).toString("base64url")}-`;
  let counter = 0;
  const next = () => `${prefix}${(++counter).toString(36)}`;
  return Object.assign(next, { prefix });
}
