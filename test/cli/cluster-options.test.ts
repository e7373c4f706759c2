import { describe, expect, it } from "vitest";
import type { ClusterOptions } from "../../src/cluster/cluster.js";
import { parseArgs } from "./parse-args.js";

async function cluster(args: string[]) {
  let options: ClusterOptions | undefined;
  const result = await parseArgs(["cluster", ...args], {
    env: {},
    run: {
      cluster: async (parsed) => {
        options = parsed;
      },
    },
  });
  return { ...result, options };
}

describe("switchyard cluster options", () => {
  it("applies the defaults", async () => {
    expect((await cluster([])).options).toEqual({
      readyTimeoutMs: 600_000,
      backendHost: "127.0.0.1",
      lbHost: "127.0.0.1",
      numBackends: 4,
      backendBasePort: 32100,
      lbPort: 32000,
      quiet: false,
      models: "mock-model",
      mockArgs: [],
      replicas: 1,
    });
  });

  it("parses every flag and passes the mock and gateway knobs on", async () => {
    const { options } = await cluster([
      "--host=0.0.0.0",
      "--backend-host=127.0.0.2",
      "--num-backends=2",
      "--backend-base-port=0",
      "--lb-port=0",
      "--replicas=3",
      "--redis=redis://r:6379",
      "--quiet",
      "--config=c.json",
      "--ready-timeout=1.5",
      "--models=a,b",
      "--strategy=p2c",
      "--health-interval=2",
      "--log-level=debug",
      "--first-token-delay-ms=5",
      "--token-delay-ms=0.5",
    ]);
    expect(options).toEqual({
      config: "c.json",
      readyTimeoutMs: 1500,
      backendHost: "127.0.0.2",
      lbHost: "0.0.0.0",
      numBackends: 2,
      backendBasePort: 0,
      lbPort: 0,
      quiet: true,
      models: "a,b",
      strategy: "p2c",
      healthInterval: "2",
      logLevel: "debug",
      mockArgs: ["--first-token-delay-ms", "5", "--token-delay-ms", "0.5"],
      replicas: 3,
      redis: "redis://r:6379",
    });
  });

  it("passes the engine simulator's flags on to every mock, only with --engine-sim", async () => {
    const sim = await cluster([
      "--engine-sim",
      "--engine-profile=llama-3.1-8b-a100",
      "--kv-cache-tokens=50000",
      "--max-num-seqs=8",
      "--max-batched-tokens=1024",
      "--time-scale=20",
    ]);
    expect(sim.options?.mockArgs).toEqual([
      "--engine-sim",
      "--engine-profile",
      "llama-3.1-8b-a100",
      "--kv-cache-tokens",
      "50000",
      "--max-num-seqs",
      "8",
      "--max-batched-tokens",
      "1024",
      "--time-scale",
      "20",
    ]);
    expect((await cluster(["--time-scale=20"])).options?.mockArgs).toEqual([]);
  });

  it.each([
    [["--num-backends=0"], /--num-backends: Too small/],
    [["--replicas=0"], /--replicas: Too small/],
    [["--lb-port=65535", "--replicas=2"], /--lb-port plus --replicas runs past port 65535/],
    [["--token-delay-ms=-1"], /--token-delay-ms: Too small/],
  ])("rejects %j naming the flag", async (args, message) => {
    const { options, error } = await cluster(args);
    expect(options).toBeUndefined();
    expect(String(error)).toMatch(message);
  });
});
