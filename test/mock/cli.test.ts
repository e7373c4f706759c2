import { describe, expect, it } from "vitest";
import type { MockOptions } from "../../src/mock/options.js";
import { parseArgs } from "../cli/parse-args.js";

/** Parses `switchyard <args>` without starting anything: the mock's runtime only records its options. */
async function parse(args: string[]): Promise<{ options?: MockOptions; output: string; error?: unknown }> {
  let options: MockOptions | undefined;
  const result = await parseArgs(args, {
    env: {},
    run: {
      mock: async (parsed) => {
        options = parsed;
      },
    },
  });
  return { ...result, options };
}

describe("switchyard mock flags", () => {
  it("applies the schema's defaults", async () => {
    const { options } = await parse(["mock"]);
    expect(options).toEqual({
      host: "127.0.0.1",
      port: 8000,
      version: "0",
      models: ["mock-model"],
      firstTokenDelayMs: 0,
      tokenDelayMs: 0,
      failRate: 0,
      failStatus: 500,
      hangRate: 0,
      dropRate: 0,
      unavailableFor: 0,
      refuseFor: 0,
      reasoning: "none",
      nativeApis: [],
      tokenize: true,
      embeddingDim: 16,
      seed: 1,
      engineSim: false,
      engineProfile: "llama-3.1-8b-h100",
      timeScale: 1,
      maxInflight: 0,
      bodyLimit: 16 * 1024 * 1024,
      logLevel: "warn",
    });
  });

  it("gives `mock --version 3` to the mock, not to the root program's -V/--version", async () => {
    const { options, output } = await parse(["mock", "--version", "3"]);
    expect(options?.version).toBe("3");
    expect(output).toBe("");
  });

  it("parses every flag", async () => {
    const { options } = await parse([
      "mock",
      "--host=0.0.0.0",
      "--port=0",
      "--id=b1",
      "--models=a, b;c",
      "--first-token-delay-ms=5",
      "--token-delay-ms=1.5",
      "--fail-rate=0.25",
      "--fail-status=429",
      "--hang-rate=0.1",
      "--drop-rate=0.2",
      "--unavailable-for=2",
      "--refuse-for=1",
      "--reasoning=harmony",
      "--native-apis=messages,responses",
      "--no-tokenize",
      "--embedding-dim=8",
      "--seed=9",
      "--engine-sim",
      "--engine-profile=llama-3.1-8b-a100",
      "--kv-cache-tokens=50000",
      "--max-num-seqs=16",
      "--max-batched-tokens=2048",
      "--time-scale=20",
      "--max-inflight=4",
      "--body-limit=1024",
      "--log-level=silent",
    ]);
    expect(options).toEqual({
      host: "0.0.0.0",
      port: 0,
      id: "b1",
      version: "0",
      models: ["a", "b", "c"],
      firstTokenDelayMs: 5,
      tokenDelayMs: 1.5,
      failRate: 0.25,
      failStatus: 429,
      hangRate: 0.1,
      dropRate: 0.2,
      unavailableFor: 2,
      refuseFor: 1,
      reasoning: "harmony",
      nativeApis: ["messages", "responses"],
      tokenize: false,
      embeddingDim: 8,
      seed: 9,
      engineSim: true,
      engineProfile: "llama-3.1-8b-a100",
      kvCacheTokens: 50000,
      maxNumSeqs: 16,
      maxBatchedTokens: 2048,
      timeScale: 20,
      maxInflight: 4,
      bodyLimit: 1024,
      logLevel: "silent",
    });
  });

  it.each([
    [["--fail-rate", "2"], /^OptionsError: --fail-rate: Too big: expected number to be <=1 \(got "2"\)$/],
    [["--reasoning", "deep"], /^OptionsError: --reasoning: Invalid option: expected one of "none"/],
    [["--port", "-1"], /--port: Too small/],
    [["--fail-status", "200"], /--fail-status: Too small/],
    [["--seed", "x"], /--seed: .*expected number/],
    [["--engine-profile", "gpt-5"], /--engine-profile: Invalid option: expected one of "llama-3.1-8b-h100"/],
    [["--time-scale", "0"], /--time-scale: Too small/],
    [
      ["--native-apis", "messages,chat"],
      /--native-apis: Invalid option: expected one of "messages"\|"responses"/,
    ],
  ])("rejects bad values naming the flag: %j", async (args, message) => {
    const { options, error } = await parse(["mock", ...args]);
    expect(options).toBeUndefined();
    expect(String(error)).toMatch(message);
  });

  it("documents every option with its default in --help", async () => {
    const { output } = await parse(["mock", "--help"]);
    for (const flag of [
      "--fail-rate <rate>",
      "--version <version>",
      "--reasoning <mode>",
      "--max-inflight <n>",
    ]) {
      expect(output).toContain(flag);
    }
    expect(output).toContain("(default: mock-model)");
    expect(output).toContain("(default: 127.0.0.1)");
    expect(output).not.toContain("(default: undefined)");
  });
});
