import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { backendSchema } from "../../src/config/schema.js";
import { HealthChecker } from "../../src/routing/health.js";
import { MAX_EJECTION_FACTOR, OutlierDetector } from "../../src/routing/outlier.js";
import { Registry } from "../../src/routing/registry.js";

const BASE_MS = 1_000;

/** A hung backend and a peer serving the same model; times are milliseconds on a made-up clock. */
function pair() {
  const hung = new OutlierDetector(BASE_MS);
  const peer = new OutlierDetector(BASE_MS);
  const peers = [{ outlier: hung }, { outlier: peer }];
  return { hung, peer, peers };
}

describe("OutlierDetector", () => {
  it("ejects a backend whose attempt stalled while a peer answered, for the base time", () => {
    const { hung, peer, peers } = pair();
    peer.onAnswer(150);
    expect(hung.onStall(100, 600, peers)).toBe(true);
    expect(hung.ejected(600)).toBe(true);
    expect(hung.ejectedForMs(600)).toBe(BASE_MS);
    expect(hung.ejected(600 + BASE_MS)).toBe(false);
    expect(hung.ejections).toBe(1);
  });

  it("does not eject while every backend of the model is silent (overload, not a hung backend)", () => {
    const { hung, peer, peers } = pair();
    peer.onAnswer(50);
    expect(hung.onStall(100, 600, peers)).toBe(false);
    expect(hung.ejected(600)).toBe(false);
  });

  it("does not eject a backend that answered another request since the stalled one was sent", () => {
    const { hung, peer, peers } = pair();
    hung.onAnswer(120);
    peer.onAnswer(150);
    expect(hung.onStall(100, 600, peers)).toBe(false);
  });

  it("counts one ejection however many of its stalled requests time out", () => {
    const { hung, peer, peers } = pair();
    peer.onAnswer(150);
    expect(hung.onStall(100, 600, peers)).toBe(true);
    expect(hung.onStall(110, 610, peers)).toBe(false);
    expect(hung.ejections).toBe(1);
  });

  it("lets the backend back in on an answer, and the next ejection is the base time again", () => {
    const { hung, peer, peers } = pair();
    peer.onAnswer(150);
    hung.onStall(100, 600, peers);
    hung.onAnswer(700);
    expect(hung.ejected(700)).toBe(false);
    peer.onAnswer(1_000);
    expect(hung.onStall(900, 1_400, peers)).toBe(true);
    expect(hung.ejectedForMs(1_400)).toBe(BASE_MS);
  });

  it("doubles the ejection time with each ejection in a row, up to MAX_EJECTION_FACTOR times the base", () => {
    const { hung, peer, peers } = pair();
    let now = 0;
    const lengths: number[] = [];
    for (let round = 0; round < 6; round++) {
      const sentAt = now + 1;
      peer.onAnswer(sentAt + 1);
      now = sentAt + 500;
      expect(hung.onStall(sentAt, now, peers)).toBe(true);
      lengths.push(hung.ejectedForMs(now));
      now += hung.ejectedForMs(now);
    }
    expect(lengths).toEqual([1, 2, 4, 8, 8, 8].map((factor) => factor * BASE_MS));
    expect(MAX_EJECTION_FACTOR).toBe(8);
  });

  it("never ejects with a base time of 0", () => {
    const hung = new OutlierDetector(0);
    const peer = new OutlierDetector(0);
    peer.onAnswer(150);
    expect(hung.onStall(100, 600, [{ outlier: peer }])).toBe(false);
  });
});

describe("ejection and health probes", () => {
  // A frozen engine still answers /health and /v1/models, so a passing probe is no evidence that
  // requests would be answered: only the backend's own answer to a request readmits it early.
  it("keeps a stalling backend ejected through passing health probes and markReachable", async () => {
    const registry = new Registry({ circuit: { threshold: 5, openMs: 60_000 } });
    const frozen = registry.add("frozen", backendSchema.parse({ url: "http://127.0.0.1:9", models: ["m"] }));
    const peer = registry.add("peer", backendSchema.parse({ url: "http://127.0.0.1:10", models: ["m"] }));
    const checker = new HealthChecker(
      registry,
      async (_backend, path) =>
        path === "/health"
          ? { status: 200, json: { status: "ok" } }
          : { status: 200, json: { data: [{ id: "m" }] } },
      { intervalMs: 0, timeoutMs: 100 },
      pino({ level: "silent" }),
    );
    const now = performance.now();
    peer.outlier.onAnswer(now + 1);
    expect(frozen.outlier.onStall(now, now + 2, registry.serving("m"))).toBe(true);
    await checker.probe(frozen);
    checker.markReachable(frozen);
    expect(frozen.healthy).toBe(true);
    expect(frozen.outlier.ejected(performance.now())).toBe(true);
  });
});
