import { describe, expect, it } from "vitest";
import { BENCH_DEFAULTS, type BenchFlags, resolveBenchOptions } from "../../src/bench/options.js";

function flags(overrides: Partial<BenchFlags> = {}): BenchFlags {
  return {
    host: BENCH_DEFAULTS.host,
    protocol: "openai",
    arrivals: "poisson",
    warmup: 0,
    stream: true,
    promptTokens: "128",
    workload: "synthetic",
    maxTokens: 128,
    tui: true,
    interval: 2,
    timeout: 120,
    seed: 1,
    ...overrides,
  };
}

describe("resolveBenchOptions", () => {
  it("takes the two-model router's form: PORT on localhost and the config's models, equal shares", () => {
    const options = resolveBenchOptions(flags(), { port: "8080", configModels: ["a", "b"], isTty: true });
    expect(options.url).toBe("http://127.0.0.1:8080");
    expect(options.models).toEqual([
      { model: "a", share: 0.5 },
      { model: "b", share: 0.5 },
    ]);
    expect(options.mode).toEqual({ kind: "closed", concurrency: 8 });
    expect(options.durationS).toBe(30);
    expect(options.view).toBe("tui");
    expect(options.outputTokens).toEqual({ kind: "fixed", value: 128 });
  });

  it("runs closed-loop agent sessions one per worker: --sessions counts the workers, --think-ms their pause", () => {
    const context = { port: "8080", configModels: ["a"], isTty: false };
    const options = resolveBenchOptions(
      flags({ workload: "agent-sessions", sessions: 64, concurrency: 8, thinkMs: 500 }),
      context,
    );
    expect(options.mode).toEqual({ kind: "closed", concurrency: 64 });
    expect(options.thinkMs).toBe(500);
    // Other workloads, and the open loop, keep --concurrency.
    expect(resolveBenchOptions(flags({ sessions: 64, concurrency: 8 }), context).mode).toEqual({
      kind: "closed",
      concurrency: 8,
    });
    expect(
      resolveBenchOptions(flags({ workload: "agent-sessions", sessions: 64, rate: 5 }), context).mode,
    ).toMatchObject({ kind: "open", rate: 5 });
  });

  it("turns the live view off for --no-tui (or --no-curses) and a non-TTY stdout", () => {
    const context = { port: "8080", configModels: ["a"], isTty: true };
    expect(resolveBenchOptions(flags({ tui: false }), context).view).toBe("plain");
    expect(resolveBenchOptions(flags(), { ...context, isTty: false }).view).toBe("plain");
  });

  it("takes --url, models with shares, an open loop and SLOs", () => {
    const options = resolveBenchOptions(
      flags({
        url: "http://127.0.0.1:9000/",
        model: ["x", "y"],
        share: [3, 1],
        rate: 20,
        arrivals: "constant",
        requests: 100,
        sloTtftMs: 200,
        outputTokens: "16-64",
      }),
      { isTty: false },
    );
    expect(options.url).toBe("http://127.0.0.1:9000");
    expect(options.models.map((m) => m.share)).toEqual([0.75, 0.25]);
    expect(options.mode).toEqual({ kind: "open", rate: 20, arrivals: "constant", maxInflight: 1024 });
    expect(options.durationS).toBe(BENCH_DEFAULTS.durationWithRequestsS);
    expect(options.slo).toEqual({ ttftMs: 200, latencyMs: undefined });
    expect(options.outputTokens).toEqual({ kind: "uniform", min: 16, max: 64 });
  });

  it("refuses contradictions with a readable message", () => {
    const context = { isTty: false };
    expect(() => resolveBenchOptions(flags({ model: ["m"] }), context)).toThrow(/PORT.*--url/);
    expect(() => resolveBenchOptions(flags({ url: "http://h:1" }), context)).toThrow(/--model/);
    expect(() =>
      resolveBenchOptions(flags({ url: "http://h:1", model: ["m"] }), { ...context, port: "1" }),
    ).toThrow(/not both/);
    expect(() =>
      resolveBenchOptions(flags({ url: "http://h:1", model: ["m"], share: [1, 2] }), context),
    ).toThrow(/--share/);
    expect(() => resolveBenchOptions(flags({ model: ["m"] }), { ...context, port: "99999" })).toThrow(/PORT/);
  });
});
