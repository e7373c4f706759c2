import { describe, expect, it } from "vitest";
import type { BackendView } from "../../../src/routing/backend.js";
import { LatencyStrategy } from "../../../src/routing/strategies/latency.js";
import { LeastConnectionsStrategy } from "../../../src/routing/strategies/least-connections.js";
import { LeastLoadedStrategy } from "../../../src/routing/strategies/least-loaded.js";
import { PowerOfTwoStrategy } from "../../../src/routing/strategies/power-of-two.js";
import type { Strategy } from "../../../src/routing/strategies/strategy.js";
import { candidates } from "./conformance.js";

/**
 * Requests waiting at a backend's KV admission gate run there next: with admission holding the
 * engine's own queue short, a strategy that left them out saw the fullest gate as the idlest engine.
 */
function fleet(): BackendView[] {
  const [gated, busy] = candidates(2);
  return [
    { ...gated!, inflight: 2, gated: 6 },
    { ...busy!, inflight: 4, gated: 0 },
  ];
}

const strategies: [string, () => Strategy][] = [
  ["least_loaded", () => new LeastLoadedStrategy()],
  ["least_connections", () => new LeastConnectionsStrategy()],
  ["power_of_two", () => new PowerOfTwoStrategy({ random: () => 0 })],
  ["latency", () => new LatencyStrategy()],
];

describe("requests waiting at a KV admission gate count as load", () => {
  for (const [name, make] of strategies) {
    it(`${name} sends the next request to the backend with fewer in flight and gated`, () => {
      for (let i = 0; i < 4; i++) expect(make().pick(fleet(), { model: "m" })!.id).toBe("b1");
    });
  }
});
