/**
 * The half-open probe across replicas: two replicas' breakers over one store, on one clock. Exactly
 * one request of all gets the probe; the losers stay shut until the verdict; without shared state
 * the local breaker decides alone, as before.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { backendSchema } from "../../../src/config/schema.js";
import { BackendState } from "../../../src/routing/backend.js";
import { MemoryStore } from "../../../src/state/memory.js";
import { LocalReplication } from "../../../src/state/replication/local.js";
import { RegistrationSecrets } from "../../../src/state/replication/registration-secrets.js";
import { SharedReplication } from "../../../src/state/replication/shared.js";
import type { StateStore } from "../../../src/state/store.js";

const OPEN_MS = 1_000;
const silent = pino({ level: "silent" });

function fleet() {
  let time = 1_000_000;
  const now = () => time;
  const store = new MemoryStore({ now });
  const replica = (state: StateStore = store, sharedState = true) => {
    const backend = new BackendState("b", backendSchema.parse({ url: "http://127.0.0.1:9", models: ["m"] }), {
      threshold: 1,
      openMs: OPEN_MS,
      now,
    });
    const replication = sharedState
      ? new SharedReplication(state, { secrets: new RegistrationSecrets(undefined, false), log: silent })
      : new LocalReplication();
    return { backend, claim: async () => replication.claimProbe(backend.id, backend.circuit) };
  };
  return { store, replica, advance: (ms: number) => (time += ms), now };
}

/** Opens the circuit in the store and in each replica's breaker, as a shared failure does. */
async function openEverywhere(store: MemoryStore, ...backends: BackendState[]) {
  const snapshot = await store.recordFailure("b", 1, OPEN_MS);
  for (const backend of backends) backend.circuit.openUntil(snapshot.openedUntil);
}

describe("Replication.claimProbe", () => {
  it("goes ahead without a store call while the circuit is closed", async () => {
    const { replica } = fleet();
    const { claim } = replica({} as StateStore);
    expect(await claim()).toBe(true);
  });

  it("gives the half-open probe to exactly one request across replicas", async () => {
    const { store, replica, advance } = fleet();
    const a = replica();
    const b = replica();
    await openEverywhere(store, a.backend, b.backend);
    advance(OPEN_MS);
    const results = await Promise.all([a.claim(), a.claim(), b.claim(), b.claim()]);
    expect(results.filter(Boolean)).toHaveLength(1);
    // A loser stays shut until the verdict arrives, or until another open period has passed.
    const loser = results[0] ? b : a;
    expect(loser.backend.circuit.state).toBe("open");
    expect(loser.backend.circuit.retryAfterMs).toBe(OPEN_MS);
  });

  it("lets the next half-open period probe again after the probe failed", async () => {
    const { store, replica, advance } = fleet();
    const a = replica();
    const b = replica();
    await openEverywhere(store, a.backend, b.backend);
    advance(OPEN_MS);
    expect(await a.claim()).toBe(true);
    expect(await b.claim()).toBe(false);
    a.backend.circuit.onFailure();
    await openEverywhere(store, a.backend, b.backend);
    advance(OPEN_MS);
    expect(await b.claim()).toBe(true);
    expect(await a.claim()).toBe(false);
  });

  it("without shared state, the local breaker alone decides (one probe per process)", async () => {
    const { replica, advance } = fleet();
    const local = replica({} as StateStore, false);
    local.backend.circuit.onFailure();
    advance(OPEN_MS);
    expect(await local.claim()).toBe(true);
    expect(local.backend.circuit.canAttempt()).toBe(false);
  });

  it("falls back to the local decision when the store does not answer", async () => {
    const { replica, advance } = fleet();
    const hung = { tryProbe: () => new Promise<boolean>(() => {}) } as unknown as StateStore;
    const failing = { tryProbe: () => Promise.reject(new Error("down")) } as unknown as StateStore;
    const slow = replica(hung);
    const broken = replica(failing);
    for (const { backend } of [slow, broken]) backend.circuit.onFailure();
    advance(OPEN_MS);
    expect(await broken.claim()).toBe(true);
    const started = performance.now();
    expect(await slow.claim()).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
