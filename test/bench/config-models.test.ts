import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelsFromConfig, readConfigModels } from "../../src/bench/config-models.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bench-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SEED_003 = {
  models: {
    "meta-llama/Llama-3.1-8B": { endpoint: { host: "localhost", port: 30101 }, start_command: "x" },
    "Qwen/Qwen2.5-7B-Instruct": { endpoint: { host: "localhost", port: 30102 } },
  },
};

describe("modelsFromConfig", () => {
  it("lists the two-model router's models in file order", () => {
    expect(modelsFromConfig(SEED_003)).toEqual(["meta-llama/Llama-3.1-8B", "Qwen/Qwen2.5-7B-Instruct"]);
  });

  it("lists a native config's backend models once each", () => {
    const config = {
      backends: [
        { url: "http://127.0.0.1:1", models: ["a", "b"] },
        { url: "http://127.0.0.1:2", models: ["b", "c"] },
        { url: "http://127.0.0.1:3" },
      ],
    };
    expect(modelsFromConfig(config)).toEqual(["a", "b", "c"]);
  });

  it("says so when a config lists no model", () => {
    expect(() => modelsFromConfig({ backends: [{ url: "http://x" }] })).toThrow(/no models/);
    expect(() => modelsFromConfig(null)).toThrow();
  });
});

describe("readConfigModels", () => {
  it("reads the two-model router's JSON and native YAML files", async () => {
    const seed = join(dir, "two_models_config.json");
    await writeFile(seed, JSON.stringify(SEED_003));
    expect(readConfigModels(seed)).toEqual(["meta-llama/Llama-3.1-8B", "Qwen/Qwen2.5-7B-Instruct"]);
    const yaml = join(dir, "gateway.yaml");
    await writeFile(yaml, "backends:\n  - url: http://127.0.0.1:9\n    models: [mock-model]\n");
    expect(readConfigModels(yaml)).toEqual(["mock-model"]);
  });
});
