/** The share of a cap a replica keeps to while Redis cannot count for it (redis-lease-shares.ts). */
import { describe, expect, it } from "vitest";
import { LeaseShares } from "../../src/state/redis-lease-shares.js";
import { manualClock } from "./conformance.js";

const TTL = 10_000;
const SETTLE = 2_000;
const lease = (backendId: string, expiresAt: number) => ({ backendId, expiresAt });

function shares() {
  const clock = manualClock(1_000_000);
  return { clock, shares: new LeaseShares(clock.now, SETTLE) };
}

describe("LeaseShares", () => {
  it("bounds nothing while online and settled, nor an uncapped backend", () => {
    const { shares: s } = shares();
    expect(s.limit("gpu", 4, TTL)).toBeUndefined();
    s.online();
    expect(s.limit("gpu", 4, TTL)).toBeUndefined();
  });

  it("has no share to keep when Redis was never reached, or when the replica was alone", () => {
    const { shares: s, clock } = shares();
    s.offline([lease("gpu", clock.now() + TTL)]);
    expect(s.limit("gpu", 4, TTL)).toBeUndefined();
    s.online();
    s.offline([lease("gpu", clock.now() + TTL)], true);
    expect(s.limit("gpu", 4, TTL)).toBeUndefined();
  });

  it("keeps to the unexpired leases held at the outage, per backend, for up to one TTL", async () => {
    const { shares: s, clock } = shares();
    s.online();
    const now = clock.now();
    s.offline([
      lease("gpu", now + TTL),
      lease("gpu", now + TTL),
      lease("gpu", now - 1),
      lease("cpu", now + 5),
    ]);
    expect(s.limit("gpu", 4, TTL)).toBe(2);
    expect(s.limit("gpu", 1, TTL)).toBe(1);
    expect(s.limit("cpu", 4, TTL)).toBe(1);
    expect(s.limit("idle", 4, TTL)).toBe(0);
    expect(s.limit("gpu", 0, TTL)).toBeUndefined();
    await clock.advance(TTL - 1);
    expect(s.limit("gpu", 4, TTL)).toBe(2);
    await clock.advance(1);
    expect(s.limit("gpu", 4, TTL)).toBeUndefined();
  });

  it("keeps the share for the settling time after reconnection, across a second outage", async () => {
    const { shares: s, clock } = shares();
    s.online();
    s.offline([lease("gpu", clock.now() + TTL)]);
    s.online();
    await clock.advance(SETTLE - 1);
    expect(s.limit("gpu", 4, TTL)).toBe(1);
    // Offline again while settling: the earlier share stands (what is held now is within it).
    s.offline([]);
    expect(s.limit("gpu", 4, TTL)).toBe(1);
    s.online();
    await clock.advance(SETTLE);
    expect(s.limit("gpu", 4, TTL)).toBeUndefined();
  });
});
