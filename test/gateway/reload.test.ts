import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { applyConfig, START_UP_SETTINGS } from "../../src/gateway/reload.js";

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

function gateway(settings: Record<string, unknown> = {}) {
  const built = buildGateway(gatewayConfigSchema.parse(settings), pino({ level: "silent" }));
  gateways.push(built);
  return built;
}

describe("applyConfig", () => {
  it("names the changed settings that are read only at start", async () => {
    const { context } = gateway();
    const next = gatewayConfigSchema.parse({
      port: 9999,
      redis: "redis://127.0.0.1:6390",
      redis_namespace: "fleet-b",
      state_secret: "new secret",
      health_interval: 5,
      max_retries: 7,
      lease_ttl: 5,
    });
    const summary = await applyConfig(context, next);
    expect(summary.needsRestart.sort()).toEqual(
      ["health_interval", "port", "redis", "redis_namespace", "state_secret"].sort(),
    );
    // Settings read per request follow at once and are not reported.
    expect(context.config.max_retries).toBe(7);
  });

  it("rebuilds the strategies when their tuning changes, and keeps them otherwise", async () => {
    const { context } = gateway({ strategy: "latency" });
    const first = context.strategies;
    await applyConfig(context, gatewayConfigSchema.parse({ strategy: "latency" }));
    expect(context.strategies).toBe(first);
    await applyConfig(context, gatewayConfigSchema.parse({ strategy: "latency", latency_decay: 2 }));
    expect(context.strategies).not.toBe(first);
    const second = context.strategies;
    await applyConfig(
      context,
      gatewayConfigSchema.parse({ strategy: "latency", latency_decay: 2, hash_ring_points: 40 }),
    );
    expect(context.strategies).not.toBe(second);
    const third = context.strategies;
    for (const tuning of [
      { prefix_block_chars: 128 },
      { prefix_cache_blocks: 100 },
      { prefix_load_bound: 2 },
    ]) {
      const before = context.strategies;
      await applyConfig(
        context,
        gatewayConfigSchema.parse({ strategy: "latency", latency_decay: 2, hash_ring_points: 40, ...tuning }),
      );
      expect(context.strategies, JSON.stringify(tuning)).not.toBe(before);
    }
    expect(context.strategies).not.toBe(third);
  });

  it("reports nothing when no start-up setting changed", async () => {
    const { context } = gateway({ state_secret: "kept", redis: "redis://127.0.0.1:6390" });
    const next = gatewayConfigSchema.parse({
      state_secret: "kept",
      redis: "redis://127.0.0.1:6390",
      max_retries: 1,
    });
    expect((await applyConfig(context, next)).needsRestart).toEqual([]);
    expect(START_UP_SETTINGS).toContain("state_secret");
  });
});
