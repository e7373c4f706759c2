import { describe, expect, it } from "vitest";
import { exhaustedUntil, KeyPool, parseDuration, retryAfterMs } from "../../src/upstream/key-pool.js";

function pool(keys: string[]) {
  let now = 1_000_000;
  return { keys: new KeyPool(keys, () => now), advance: (ms: number) => (now += ms), now: () => now };
}

describe("KeyPool", () => {
  it("rotates round robin over usable keys", () => {
    const { keys } = pool(["a", "b", "c"]);
    expect([keys.next(), keys.next(), keys.next(), keys.next()]).toEqual(["a", "b", "c", "a"]);
  });

  it("cools a key down on 429 for Retry-After, then brings it back", () => {
    const { keys, advance } = pool(["a", "b"]);
    keys.report("a", 429, { "retry-after": "2" });
    expect([keys.next(), keys.next(), keys.next()]).toEqual(["b", "b", "b"]);
    advance(2_000);
    expect(new Set([keys.next(), keys.next()])).toEqual(new Set(["a", "b"]));
  });

  it("backs off exponentially without Retry-After and reports when a key frees up", () => {
    const { keys } = pool(["a"]);
    keys.report("a", 429, {});
    expect(keys.retryAfterMs()).toBe(1_000);
    keys.report("a", 429, {});
    expect(keys.retryAfterMs()).toBe(2_000);
    expect(keys.next()).toBeUndefined();
  });

  it("takes a key out of rotation on 401/403", () => {
    const { keys } = pool(["a", "b"]);
    keys.report("b", 401, {});
    expect([keys.next(), keys.next()]).toEqual(["a", "a"]);
    keys.report("a", 403, {});
    expect(keys.next()).toBeUndefined();
    expect(keys.retryAfterMs()).toBeUndefined();
    expect(keys.views().map((view) => view.disabled)).toEqual([true, true]);
  });

  it("skips a key whose rate-limit headers say it is spent, until the reset", () => {
    const { keys, advance } = pool(["a", "b"]);
    keys.report("a", 200, { "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1.5s" });
    expect([keys.next(), keys.next()]).toEqual(["b", "b"]);
    advance(1_500);
    expect(new Set([keys.next(), keys.next()])).toEqual(new Set(["a", "b"]));
  });

  it("never shows key values in its views", () => {
    const { keys } = pool(["sk-secret-1", "sk-secret-2"]);
    keys.next();
    expect(JSON.stringify(keys.views())).not.toContain("sk-secret");
    expect(keys.views()[0]).toMatchObject({ key: "key-1", requests: 1 });
  });
});

describe("KeyPool with shared state", () => {
  it("tells its own cooldowns and disablements by store fingerprint, never by value", () => {
    const { keys, now } = pool(["sk-secret-a", "sk-secret-b"]);
    const decisions: unknown[] = [];
    keys.onDecision = (fingerprint, state) => decisions.push({ fingerprint, state });
    const [a, b] = keys.storeFingerprints();
    keys.report("sk-secret-a", 429, { "retry-after": "5" });
    keys.report("sk-secret-b", 401, {});
    keys.report("sk-secret-a", 200, {});
    expect(decisions).toEqual([
      { fingerprint: a, state: { coolingDownUntil: now() + 5_000 } },
      { fingerprint: b, state: { coolingDownUntil: 0, disabledReason: "upstream answered 401" } },
    ]);
    expect(JSON.stringify(decisions)).not.toContain("sk-secret");
    expect(a).toMatch(/^[0-9a-f]{32}$/);
  });

  it("shares a spent rate limit as a cooldown", () => {
    const { keys, now } = pool(["a"]);
    const decisions: unknown[] = [];
    keys.onDecision = (_, state) => decisions.push(state);
    keys.report("a", 200, { "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s" });
    expect(decisions).toEqual([{ coolingDownUntil: now() + 2_000 }]);
  });

  it("adopts cooldowns and disablements decided elsewhere, without telling them back", () => {
    const { keys, advance, now } = pool(["a", "b", "c"]);
    const [a, b] = keys.storeFingerprints() as [string, string];
    let told = 0;
    keys.onDecision = () => told++;
    expect(keys.adopt(a, { coolingDownUntil: now() + 3_000 })).toBe(true);
    expect(keys.adopt(b, { coolingDownUntil: 0, disabledReason: "upstream answered 403" })).toBe(true);
    expect(keys.adopt("unknown", { coolingDownUntil: now() + 3_000 })).toBe(false);
    expect([keys.next(), keys.next()]).toEqual(["c", "c"]);
    // An older cooldown never shortens a longer one.
    keys.adopt(a, { coolingDownUntil: now() + 1_000 });
    advance(3_000);
    expect(new Set([keys.next(), keys.next(), keys.next()])).toEqual(new Set(["a", "c"]));
    expect(keys.views()[1]).toMatchObject({ disabled: true, disabled_reason: "upstream answered 403" });
    expect(told).toBe(0);
  });
});

describe("rate-limit headers", () => {
  it("parses OpenAI durations and Retry-After forms", () => {
    expect(parseDuration("6m0s")).toBe(360_000);
    expect(parseDuration("1h2m3.5s")).toBe(3_723_500);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("soon")).toBeUndefined();
    expect(retryAfterMs({ "retry-after": "3" })).toBe(3_000);
    expect(retryAfterMs({ "retry-after-ms": "150", "retry-after": "3" })).toBe(150);
    expect(retryAfterMs({})).toBeUndefined();
  });

  it("reads Anthropic's reset times", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(
      exhaustedUntil(
        {
          "anthropic-ratelimit-tokens-remaining": "0",
          "anthropic-ratelimit-tokens-reset": "2026-01-01T00:00:30Z",
        },
        now,
      ),
    ).toBe(now + 30_000);
    expect(exhaustedUntil({ "x-ratelimit-remaining-requests": "5" }, now)).toBeUndefined();
  });
});

describe("KeyPool.usableNow", () => {
  it("names the keys usable now without moving the rotation or any count", () => {
    const { keys, advance } = pool(["a", "b", "c"]);
    keys.report("a", 429, { "retry-after": "2" });
    keys.report("c", 401, {});
    expect(keys.usableNow()).toEqual(["b"]);
    advance(2_000);
    expect(keys.usableNow()).toEqual(["a", "b"]);
    expect(keys.views().map((view) => view.requests)).toEqual([0, 0, 0]);
    expect(keys.next()).toBe("a");
  });
});
