/**
 * A reload that would leave no backend, or a model with none, is refused before anything changes,
 * unless the new file sets allow_empty_backends.
 */
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { backendSchema, gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { applyConfig } from "../../src/gateway/reload.js";
import { ReloadRefusedError } from "../../src/gateway/reload-guard.js";

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

// Port 9 (discard) on loopback: nothing listens, so the probes of added backends fail at once.
const backend = (name: string, models: string[] = []) => ({
  name,
  url: `http://127.0.0.1:9/${name}`,
  models,
});

function gateway(settings: Record<string, unknown>) {
  const built = buildGateway(
    gatewayConfigSchema.parse({ health_interval: 0, ...settings }),
    pino({ level: "silent" }),
  );
  gateways.push(built);
  return built.context;
}

const ids = (context: ReturnType<typeof gateway>) => context.registry.list().map((state) => state.id);

describe("reload guard", () => {
  it("refuses a reload to no backends and keeps the running configuration", async () => {
    const context = gateway({ backends: [backend("a", ["m1"]), backend("b", ["m1"])], max_retries: 1 });
    const running = context.config;
    const next = gatewayConfigSchema.parse({ backends: [], max_retries: 5 });
    const refused = applyConfig(context, next);
    await expect(refused).rejects.toBeInstanceOf(ReloadRefusedError);
    await expect(refused).rejects.toThrow(/no backends.*"a", "b".*allow_empty_backends/);
    expect(context.config).toBe(running);
    expect(ids(context)).toEqual(["a", "b"]);
  });

  it("refuses a reload that leaves a model with no backend, naming it", async () => {
    const context = gateway({ backends: [backend("a", ["m1"]), backend("b", ["m2", "m3"])] });
    const next = gatewayConfigSchema.parse({ backends: [backend("a", ["m1", "m3"])] });
    await expect(applyConfig(context, next)).rejects.toThrow(/model "m2" \(set allow_empty_backends/);
    expect(ids(context)).toEqual(["a", "b"]);
  });

  it("applies either when the file says it means it", async () => {
    const context = gateway({ backends: [backend("a", ["m1"]), backend("b", ["m2"])] });
    await applyConfig(
      context,
      gatewayConfigSchema.parse({ backends: [backend("a", ["m1"])], allow_empty_backends: true }),
    );
    expect(ids(context)).toEqual(["a"]);
    const summary = await applyConfig(context, gatewayConfigSchema.parse({ allow_empty_backends: "true" }));
    expect(summary.removed).toEqual(["a"]);
    expect(ids(context)).toEqual([]);
  });

  it("counts runtime backends, which a reload keeps, and moved models", async () => {
    const context = gateway({ backends: [backend("a", ["m1"]), backend("b", ["m2"])] });
    context.registry.add("r", backendSchema.parse(backend("r", ["m1"])), "runtime");
    // m1 stays on the registered backend, m2 moves to a new one.
    await applyConfig(context, gatewayConfigSchema.parse({ backends: [backend("c", ["m2"])] }));
    expect(ids(context).sort()).toEqual(["c", "r"]);
  });

  it("takes a new backend that discovers its models as serving any model", async () => {
    const context = gateway({ backends: [backend("a", ["m1"])] });
    await applyConfig(context, gatewayConfigSchema.parse({ backends: [backend("d")] }));
    expect(ids(context)).toEqual(["d"]);
  });

  it("lets a gateway that has no backend reload to none", async () => {
    const context = gateway({});
    await applyConfig(context, gatewayConfigSchema.parse({ max_retries: 4 }));
    expect(context.config.max_retries).toBe(4);
  });
});
