import { describe, expect, it } from "vitest";
import type { BenchCommandInput } from "../../src/bench/command.js";
import { parseArgs } from "./parse-args.js";

async function bench(args: string[]) {
  let input: BenchCommandInput | undefined;
  const result = await parseArgs(["bench", ...args], {
    env: {},
    run: {
      bench: async (parsed) => {
        input = parsed;
      },
    },
  });
  return { ...result, input };
}

describe("switchyard bench options", () => {
  it("takes the two-model router's form with the defaults", async () => {
    const { input } = await bench(["8080", "--config", "two_models_config.json", "--no-curses"]);
    expect(input).toEqual({
      port: "8080",
      compare: undefined,
      flags: {
        config: "two_models_config.json",
        host: "127.0.0.1",
        protocol: "openai",
        arrivals: "poisson",
        warmup: 0,
        stream: true,
        promptTokens: "128",
        maxTokens: 128,
        workload: "synthetic",
        tui: false,
        interval: 2,
        timeout: 120,
        seed: 1,
      },
    });
  });

  it("parses every flag", async () => {
    const { input } = await bench([
      "--url=http://h:1",
      "--host=::1",
      "--model=a",
      "--model",
      "b,c",
      "--share=3,1",
      "--share=2",
      "--protocol=anthropic",
      "--api-key=k",
      "--concurrency=4",
      "--rate=2.5",
      "--arrivals=constant",
      "--duration=10",
      "--requests=50",
      "--warmup=1",
      "--no-stream",
      "--prompt-tokens=16-32",
      "--output-tokens=8",
      "--max-tokens=64",
      "--prompts=p.jsonl",
      "--workload=agent-sessions",
      "--sessions=12",
      "--engine-metrics=http://e:1/metrics",
      "--engine-metrics",
      "http://e:2/metrics",
      "--slo-ttft-ms=200",
      "--slo-latency-ms=900",
      "--out=run",
      "--no-tui",
      "--interval=0.5",
      "--timeout=30",
      "--seed=7",
    ]);
    expect(input?.flags).toEqual({
      url: "http://h:1",
      host: "::1",
      model: ["a", "b,c"],
      share: [3, 1, 2],
      protocol: "anthropic",
      apiKey: "k",
      concurrency: 4,
      rate: 2.5,
      arrivals: "constant",
      duration: 10,
      requests: 50,
      warmup: 1,
      stream: false,
      promptTokens: "16-32",
      outputTokens: "8",
      maxTokens: 64,
      prompts: "p.jsonl",
      workload: "agent-sessions",
      sessions: 12,
      engineMetrics: ["http://e:1/metrics", "http://e:2/metrics"],
      sloTtftMs: 200,
      sloLatencyMs: 900,
      out: "run",
      tui: false,
      interval: 0.5,
      timeout: 30,
      seed: 7,
    });
  });

  it("hands --compare's files over apart", async () => {
    const { input } = await bench(["--compare", "a.json", "b.json", "--out", "cmp"]);
    expect(input?.compare).toEqual(["a.json", "b.json"]);
    expect(input?.flags.out).toBe("cmp");
  });

  it.each([
    [["--protocol=grpc"], /--protocol: Invalid option/],
    [["--arrivals=bursty"], /--arrivals: Invalid option/],
    [["--concurrency=0"], /--concurrency: Too small/],
    [["--rate=0"], /--rate: Too small/],
    [["--requests=1.5"], /--requests: .*expected int/],
    [["--warmup=-1"], /--warmup: Too small/],
    [["--share=1,x"], /--share: .*expected number/],
    [["--max-tokens=0"], /--max-tokens: Too small/],
    [["--timeout=0"], /--timeout: Too small/],
    [["--workload=agents"], /--workload: Invalid option/],
  ])("rejects %j naming the flag", async (args, message) => {
    const { input, error } = await bench(args);
    expect(input).toBeUndefined();
    expect(String(error)).toMatch(message);
  });
});
