/**
 * The health-mark policy between replicas (routing/health.ts): own transitions are published after
 * hysteresis, only "down" is adopted from others, and an adopted mark lasts until this replica's own
 * probes pass `healthy_threshold` times. Two checkers sharing one MemoryStore stand for two replicas.
 */
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { backendSchema } from "../../src/config/schema.js";
import type { BackendState } from "../../src/routing/backend.js";
import { HealthChecker, type HealthOptions } from "../../src/routing/health.js";
import { Registry } from "../../src/routing/registry.js";
import { MemoryStore } from "../../src/state/memory.js";

const silent = pino({ level: "silent" });
const checkers: HealthChecker[] = [];
afterEach(() => {
  for (const checker of checkers.splice(0)) checker.stop();
});

/** One replica's view of one backend, whose probes answer `up` or not. */
function replica(options: Partial<HealthOptions> = {}, healthPath = "/health") {
  const registry = new Registry();
  const backend = registry.add(
    "b",
    backendSchema.parse({ url: "http://127.0.0.1:9", models: ["m"], health_path: healthPath }),
  );
  const probe = { up: true };
  const checker = new HealthChecker(
    registry,
    async () => ({ status: probe.up ? 200 : 503, json: undefined }),
    { intervalMs: 0, timeoutMs: 100, recheckMs: 60_000, ...options },
    silent,
  );
  checkers.push(checker);
  const published: boolean[] = [];
  checker.onOwnVerdict = (_, healthy) => published.push(healthy);
  return { backend, checker, probe, published };
}

/** Wires replicas to one store the way state/replication/shared.ts does. */
function share(store: MemoryStore, ...replicas: ReturnType<typeof replica>[]) {
  for (const { checker, backend } of replicas) {
    const own = checker.onOwnVerdict;
    checker.onOwnVerdict = (target, healthy) => {
      own?.(target, healthy);
      void store.setHealth(target.id, healthy);
    };
    store.subscribe((event) => {
      if (event.type === "health" && !event.healthy) checker.adoptDownMark(backend as BackendState);
    });
  }
}

describe("health marks between replicas", () => {
  it("publishes only its own transitions, after hysteresis", async () => {
    const { backend, checker, probe, published } = replica({ unhealthyThreshold: 2 });
    await checker.probe(backend);
    probe.up = false;
    await checker.probe(backend);
    expect(backend.healthy).toBe(true);
    await checker.probe(backend);
    expect(backend.healthy).toBe(false);
    probe.up = true;
    await checker.probe(backend);
    expect(published).toEqual([false, true]);
  });

  it("takes a backend out on another replica's down mark until its own probes pass healthy_threshold times", async () => {
    const { backend, checker, published } = replica({ healthyThreshold: 2 });
    await checker.probe(backend);
    checker.adoptDownMark(backend);
    expect(backend.healthy).toBe(false);
    expect(backend.lastError).toContain("another replica");
    await checker.probe(backend);
    expect(backend.healthy).toBe(false);
    await checker.probe(backend);
    expect(backend.healthy).toBe(true);
    // The adopted "down" was not this replica's to publish; its own way back up is.
    expect(published).toEqual([true]);
  });

  it("leaves backends without a health path alone: nothing would probe them back in", async () => {
    const { backend, checker } = replica({}, "");
    checker.adoptDownMark(backend);
    expect(backend.healthy).toBe(true);
  });

  it("settles replicas that disagree instead of toggling them", async () => {
    const store = new MemoryStore();
    const a = replica();
    const b = replica();
    share(store, a, b);
    await Promise.all([a.checker.probe(a.backend), b.checker.probe(b.backend)]);
    // Only A sees the backend fail.
    a.probe.up = false;
    for (let round = 0; round < 5; round++) {
      await Promise.all([a.checker.probe(a.backend), b.checker.probe(b.backend)]);
    }
    expect(a.backend.healthy).toBe(false);
    expect(b.backend.healthy).toBe(true);
    expect(a.published).toEqual([false]);
    // B went down once (A's mark), came back with its own first probe, and stayed up.
    expect(b.published).toEqual([true]);
    expect(await store.health("b")).toBe(true);
  });

  it("takes the backend out everywhere when every replica sees it down, and back when it recovers", async () => {
    const store = new MemoryStore();
    const a = replica();
    const b = replica();
    share(store, a, b);
    a.probe.up = false;
    b.probe.up = false;
    await a.checker.probe(a.backend);
    await a.checker.probe(a.backend);
    expect(b.backend.healthy).toBe(false);
    await b.checker.probe(b.backend);
    expect(b.backend.healthy).toBe(false);
    a.probe.up = true;
    b.probe.up = true;
    await Promise.all([a.checker.probe(a.backend), b.checker.probe(b.backend)]);
    expect([a.backend.healthy, b.backend.healthy]).toEqual([true, true]);
  });
});

describe("a backend without a health path", () => {
  it("comes back at its re-check after a refused connection took it out", async () => {
    const { backend, checker } = replica({ recheckMs: 20 }, "");
    expect(backend.healthy).toBe(true);
    checker.markUnreachable(backend, "connect ECONNREFUSED");
    expect(backend.healthy).toBe(false);
    const deadline = Date.now() + 5_000;
    while (!backend.healthy && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(backend.healthy).toBe(true);
  });
});
