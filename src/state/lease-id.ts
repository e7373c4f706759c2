/**
 * Lease ids that are unique across replicas without coordination: a random per-store prefix and a
 * counter. Cheaper than a UUID per request, and the prefix tells which store took a lease when one
 * is found leaked in Redis.
 * @module
 */
import { randomBytes } from "node:crypto";

export function leaseIdSource(): () => string {
  const prefix = randomBytes(6).toString("base64url");
  let counter = 0;
  return () => `${prefix}-${(++counter).toString(36)}`;
}
