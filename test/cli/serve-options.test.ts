import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import type { ServeOptions } from "../../src/serve/options.js";
import { parseArgs } from "./parse-args.js";

async function serve(args: string[]) {
  let options: ServeOptions | undefined;
  const result = await parseArgs(["serve", ...args], {
    env: {},
    run: {
      serve: async (parsed) => {
        options = parsed;
      },
    },
  });
  return { ...result, options };
}

describe("switchyard serve options", () => {
  it("applies the defaults", async () => {
    expect((await serve(["--model-path", "m.gguf"])).options).toEqual({
      modelPath: "m.gguf",
      modelType: "generic",
      engine: "llama.cpp",
      host: "127.0.0.1",
      port: 8000,
      deviceMap: "auto",
      maxConcurrent: 2,
      maxQueue: 32,
      threads: availableParallelism(),
      bodyLimit: 16 * 1024 * 1024,
      logLevel: "info",
    });
  });

  it("parses every flag", async () => {
    const { options } = await serve([
      "--model-path=m.gguf",
      "--model-name=m",
      "--model-type=qwen3",
      "--host=0.0.0.0",
      "--port=0",
      "--device-map=cpu",
      "--max-concurrent=4",
      "--max-queue=0",
      "--context-size=2048",
      "--threads=3",
      "--body-limit=1024",
      "--log-level=silent",
      "--engine=vllm",
      "--cache-dir=/tmp/conversions",
    ]);
    expect(options).toEqual({
      modelPath: "m.gguf",
      modelName: "m",
      modelType: "qwen3",
      host: "0.0.0.0",
      port: 0,
      deviceMap: "cpu",
      maxConcurrent: 4,
      maxQueue: 0,
      contextSize: 2048,
      threads: 3,
      bodyLimit: 1024,
      logLevel: "silent",
      engine: "vllm",
      cacheDir: "/tmp/conversions",
    });
  });

  it.each([
    [[], /^OptionsError: --model-path is required$/],
    [["--model-path=m", "--max-concurrent=0"], /--max-concurrent: Too small/],
    [["--model-path=m", "--model-type=gpt5"], /--model-type: Invalid option/],
    [["--model-path=m", "--context-size=1.5"], /--context-size: .*expected int/],
  ])("rejects %j naming the flag", async (args, message) => {
    const { options, error } = await serve(args);
    expect(options).toBeUndefined();
    expect(String(error)).toMatch(message);
  });

  it("shows defaults in --help, the machine's thread count by name", async () => {
    const output = (await serve(["--help"])).output.replace(/\s+/g, " ");
    expect(output).toContain("CPU threads for inference (default: one per core)");
    expect(output).toContain("(default: 8000)");
  });
});
