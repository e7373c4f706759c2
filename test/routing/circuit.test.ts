import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../src/routing/circuit.js";

function breaker(threshold = 3, openMs = 1000) {
  let time = 0;
  const circuit = new CircuitBreaker({ threshold, openMs, now: () => time });
  return { circuit, advance: (ms: number) => (time += ms) };
}

describe("CircuitBreaker", () => {
  it("opens after the threshold of consecutive failures, not before", () => {
    const { circuit } = breaker(3);
    circuit.onFailure();
    circuit.onFailure();
    expect(circuit.state).toBe("closed");
    circuit.onSuccess();
    circuit.onFailure();
    circuit.onFailure();
    expect(circuit.canAttempt()).toBe(true);
    circuit.onFailure();
    expect(circuit.state).toBe("open");
    expect(circuit.canAttempt()).toBe(false);
  });

  it("lets exactly one half-open probe through after the open time; success closes", () => {
    const { circuit, advance } = breaker(1, 1000);
    circuit.onFailure();
    advance(999);
    expect(circuit.canAttempt()).toBe(false);
    expect(circuit.retryAfterMs).toBe(1);
    advance(1);
    expect(circuit.state).toBe("half_open");
    expect(circuit.canAttempt()).toBe(true);
    circuit.onAttempt();
    expect(circuit.canAttempt()).toBe(false);
    circuit.onSuccess();
    expect(circuit.state).toBe("closed");
    expect(circuit.canAttempt()).toBe(true);
  });

  it("re-opens for a full period when the probe fails", () => {
    const { circuit, advance } = breaker(5, 1000);
    for (let i = 0; i < 5; i++) circuit.onFailure();
    advance(1000);
    circuit.onAttempt();
    circuit.onFailure();
    expect(circuit.state).toBe("open");
    advance(999);
    expect(circuit.canAttempt()).toBe(false);
    advance(1);
    expect(circuit.canAttempt()).toBe(true);
  });

  it("frees the probe slot when the probe is abandoned", () => {
    const { circuit, advance } = breaker(1, 10);
    circuit.onFailure();
    advance(10);
    circuit.onAttempt();
    circuit.onAbandon();
    expect(circuit.canAttempt()).toBe(true);
  });

  it("mirrors a circuit opened or closed elsewhere: openUntil, then half-open; closeNow", () => {
    const { circuit, advance } = breaker(3, 1000);
    circuit.openUntil(0);
    expect(circuit.state).toBe("closed");
    circuit.openUntil(400);
    expect(circuit.state).toBe("open");
    expect(circuit.canAttempt()).toBe(false);
    expect(circuit.retryAfterMs).toBe(400);
    advance(400);
    expect(circuit.state).toBe("half_open");
    expect(circuit.canAttempt()).toBe(true);
    circuit.onFailure();
    circuit.onFailure();
    circuit.openUntil(advance(0) + 5_000);
    circuit.closeNow();
    expect(circuit.state).toBe("closed");
    expect(circuit.consecutiveFailures).toBe(0);
    expect(circuit.canAttempt()).toBe(true);
  });

  it("stays shut for another open period when another replica holds the half-open probe", () => {
    const { circuit, advance } = breaker(1, 1000);
    circuit.onFailure();
    advance(1000);
    circuit.onAttempt();
    circuit.probeHeldElsewhere();
    expect(circuit.state).toBe("open");
    expect(circuit.consecutiveFailures).toBe(1);
    expect(circuit.retryAfterMs).toBe(1000);
    advance(1000);
    expect(circuit.state).toBe("half_open");
    expect(circuit.canAttempt()).toBe(true);
    // The other replica's success arrives as a close.
    circuit.closeNow();
    expect(circuit.state).toBe("closed");
  });

  it("never opens with threshold 0", () => {
    const { circuit } = breaker(0);
    for (let i = 0; i < 100; i++) circuit.onFailure();
    expect(circuit.state).toBe("closed");
  });
});
