/** A config `serve` entry becomes `switchyard serve` flags, the conversion and engine keys included. */
import { describe, expect, it } from "vitest";
import { serveArgs } from "../../src/cluster/configured.js";
import type { BackendConfig } from "../../src/config/schema.js";

describe("serveArgs", () => {
  it("passes every key of a serve entry as its flag", () => {
    const backend = {
      url: "http://127.0.0.1:8001",
      models: ["gemma"],
      serve: {
        model_path: "/models/gemma-3-4b-it",
        model_type: "gemma3",
        threads: 4,
        device_map: "cpu",
        engine: "llama.cpp",
        cache_dir: "/var/cache/switchyard",
      },
    } as unknown as BackendConfig;
    expect(serveArgs("b", backend)).toEqual([
      "serve",
      "--model-path",
      "/models/gemma-3-4b-it",
      "--model-name",
      "gemma",
      "--host",
      "127.0.0.1",
      "--port",
      "8001",
      "--model-type",
      "gemma3",
      "--threads",
      "4",
      "--device-map",
      "cpu",
      "--engine",
      "llama.cpp",
      "--cache-dir",
      "/var/cache/switchyard",
    ]);
  });
});
