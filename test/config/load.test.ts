import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  backendId,
  ConfigError,
  configFilePath,
  loadGatewayConfig,
  parseBackendSpec,
} from "../../src/config/load.js";
import { defaultGatewayConfig } from "../../src/config/schema.js";

const dir = mkdtempSync(join(tmpdir(), "switchyard-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("loadGatewayConfig", () => {
  it("gives the documented defaults with nothing set", () => {
    const config = loadGatewayConfig({ env: {} });
    expect(config).toEqual(defaultGatewayConfig());
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      strategy: "least_connections",
      health_interval: 30,
      max_retries: 2,
      backends: [],
    });
  });

  it("reads the native format and fills backend defaults", () => {
    const path = file("native.json", {
      port: 9000,
      backends: [{ name: "a", url: "http://127.0.0.1:9001", models: ["m1"] }],
    });
    const config = loadGatewayConfig({ file: path, env: {} });
    expect(config.port).toBe(9000);
    expect(config.backends[0]).toEqual({
      name: "a",
      url: "http://127.0.0.1:9001",
      kind: "openai",
      models: ["m1"],
      model_type: "generic",
      weight: 1,
      max_connections: 0,
      health_path: "/health",
      separate_reasoning: false,
      native_apis: [],
      api_keys: [],
      model_patterns: [],
    });
  });

  it("reads YAML", () => {
    const path = file(
      "native.yaml",
      "port: 9100\nbackends:\n  - url: http://localhost:1234\n    models: [x]\n",
    );
    const config = loadGatewayConfig({ file: path, env: {} });
    expect(config.port).toBe(9100);
    expect(config.backends[0]?.models).toEqual(["x"]);
  });

  it("converts the two-model router's two_models_config.json, merging models that share an endpoint", () => {
    const path = file("two_models_config.json", {
      models: {
        "meta-llama/Llama-3.1-8B": {
          endpoint: { host: "localhost", port: 30101 },
          start_command: "start_server.sh sglang 30101 meta-llama/Llama-3.1-8B",
        },
        "Qwen/Qwen2.5-7B-Instruct": {
          endpoint: { host: "localhost", port: 30102, health_check_path: "/ready" },
        },
        "Qwen/alias": { endpoint: { host: "localhost", port: 30102 } },
      },
    });
    const config = loadGatewayConfig({ file: path, env: {} });
    expect(config.backends).toHaveLength(2);
    expect(config.backends[0]).toMatchObject({
      name: "localhost:30101",
      url: "http://localhost:30101",
      models: ["meta-llama/Llama-3.1-8B"],
      health_path: "/health",
      start_command: "start_server.sh sglang 30101 meta-llama/Llama-3.1-8B",
    });
    expect(config.backends[1]).toMatchObject({
      url: "http://localhost:30102",
      models: ["Qwen/Qwen2.5-7B-Instruct", "Qwen/alias"],
      health_path: "/ready",
    });
  });

  it("lets env override the file and flags override env, with seed variable names", () => {
    const path = file("precedence.json", { port: 1, strategy: "random", max_retries: 5 });
    const env = {
      LOAD_BALANCER_PORT: "2",
      ROUTING_STRATEGY: "LEAST_LOADED",
      MAX_RETRIES: "3",
      REQUEST_TIMEOUT_SECS: "7",
    };
    const config = loadGatewayConfig({ file: path, env, flags: { port: "3" } });
    expect(config).toMatchObject({ port: 3, strategy: "LEAST_LOADED", max_retries: 3, request_timeout: 7 });
  });

  it("takes the config path from SWITCHYARD_CONFIG and backends from SWITCHYARD_BACKENDS and --backend", () => {
    const path = file("env-path.json", { port: 4242 });
    const config = loadGatewayConfig({
      env: { SWITCHYARD_CONFIG: path, SWITCHYARD_BACKENDS: "http://127.0.0.1:1,b=http://127.0.0.1:2" },
      backendSpecs: ["c=http://127.0.0.1:3/v1"],
    });
    expect(config.port).toBe(4242);
    expect(config.backends.map(backendId)).toEqual(["127.0.0.1:1", "b", "c"]);
  });

  it("reads an env file under the real environment, which wins, and takes SWITCHYARD_CONFIG from it", () => {
    const config = file("from-env-file.json", { max_retries: 7 });
    const envFile = file(
      "gateway.env",
      `LOG_LEVEL=debug\nSWITCHYARD_PORT=9000\nSWITCHYARD_CONFIG=${config}\nOPENAI_API_KEYS="k1,k2"\nSERVICE_ENDPOINTS={\n  "openai": ["http://127.0.0.1:1/v1"]\n}\n`,
    );
    const sources = { env: { SWITCHYARD_PORT: "9100" }, envFile: { path: envFile, optional: false } };
    const loaded = loadGatewayConfig(sources);
    expect(loaded).toMatchObject({ log_level: "debug", port: 9100, max_retries: 7 });
    expect(loaded.backends).toMatchObject([{ name: "openai-1", api_keys: ["k1", "k2"] }]);
    expect(configFilePath(sources)).toBe(config);
    expect(loadGatewayConfig({ env: {}, envFile: { path: join(dir, "none.env"), optional: true } })).toEqual(
      defaultGatewayConfig(),
    );
    expect(() =>
      loadGatewayConfig({ env: {}, envFile: { path: join(dir, "none.env"), optional: false } }),
    ).toThrow(ConfigError);
  });

  it("reads the strategies' tuning: latency_decay and hash_ring_points", () => {
    const config = loadGatewayConfig({
      env: { SWITCHYARD_LATENCY_DECAY: "2.5" },
      flags: { hash_ring_points: "40" },
    });
    expect(config.latency_decay).toBe(2.5);
    expect(config.hash_ring_points).toBe(40);
    expect(() => loadGatewayConfig({ env: { SWITCHYARD_LATENCY_DECAY: "0" } })).toThrow(/latency_decay/);
    expect(() => loadGatewayConfig({ env: { SWITCHYARD_HASH_RING_POINTS: "0" } })).toThrow(
      /hash_ring_points/,
    );
  });

  it("reads prefix_aware's tuning: block size, record size and load bound", () => {
    const defaults = loadGatewayConfig({ env: {} });
    expect([defaults.prefix_block_chars, defaults.prefix_cache_blocks, defaults.prefix_load_bound]).toEqual([
      256, 8192, 1.25,
    ]);
    const config = loadGatewayConfig({
      env: { SWITCHYARD_PREFIX_BLOCK_CHARS: "128", SWITCHYARD_PREFIX_LOAD_BOUND: "1.5" },
      flags: { prefix_cache_blocks: "1000" },
    });
    expect([config.prefix_block_chars, config.prefix_cache_blocks, config.prefix_load_bound]).toEqual([
      128, 1000, 1.5,
    ]);
    expect(() => loadGatewayConfig({ env: { SWITCHYARD_PREFIX_LOAD_BOUND: "0.9" } })).toThrow(
      /prefix_load_bound/,
    );
    expect(() => loadGatewayConfig({ env: { SWITCHYARD_PREFIX_BLOCK_CHARS: "4" } })).toThrow(
      /prefix_block_chars/,
    );
  });

  it("reads upstream_connections and backend_deny_ranges, refusing a malformed range by name", () => {
    const config = loadGatewayConfig({
      env: {
        SWITCHYARD_UPSTREAM_CONNECTIONS: "0",
        SWITCHYARD_BACKEND_DENY_RANGES: "10.9.0.0/16; fd12::/16,192.0.2.1",
      },
    });
    expect(config.upstream_connections).toBe(0);
    expect(config.backend_deny_ranges).toEqual(["10.9.0.0/16", "fd12::/16", "192.0.2.1"]);
    expect(loadGatewayConfig({ env: {} }).upstream_connections).toBe(1024);
    for (const bad of ["10.0.0.0/33", "example.com", "10.0.0.0/"])
      expect(() => loadGatewayConfig({ env: { SWITCHYARD_BACKEND_DENY_RANGES: bad } }), bad).toThrow(
        /backend_deny_ranges/,
      );
    expect(() => loadGatewayConfig({ env: { SWITCHYARD_UPSTREAM_CONNECTIONS: "-1" } })).toThrow(
      /upstream_connections/,
    );
  });

  it("reads upstream_http2 and upstream_http2_streams, refusing zero streams by name", () => {
    const defaults = loadGatewayConfig({ env: {} });
    expect(defaults.upstream_http2).toBe(true);
    expect(defaults.upstream_http2_streams).toBe(100);
    const set = loadGatewayConfig({
      env: { SWITCHYARD_UPSTREAM_HTTP2: "false", SWITCHYARD_UPSTREAM_HTTP2_STREAMS: "250" },
    });
    expect(set.upstream_http2).toBe(false);
    expect(set.upstream_http2_streams).toBe(250);
    expect(() => loadGatewayConfig({ env: { SWITCHYARD_UPSTREAM_HTTP2_STREAMS: "0" } })).toThrow(
      /upstream_http2_streams/,
    );
  });

  it("accepts ai-lb's reserved AUTO_MODEL_STRATEGY and rejects other values", () => {
    expect(loadGatewayConfig({ env: { AUTO_MODEL_STRATEGY: "any_first" } }).auto_model_strategy).toBe(
      "any_first",
    );
    expect(() => loadGatewayConfig({ env: { AUTO_MODEL_STRATEGY: "cheapest" } })).toThrow(
      /auto_model_strategy/,
    );
  });

  it("names the bad field and the file in its error", () => {
    const path = file("bad.json", { port: "eighty", backends: [{ url: "ftp://x", modles: [] }] });
    let message = "";
    try {
      loadGatewayConfig({ file: path, env: {} });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain("port");
    expect(message).toContain("backends.0.url");
    expect(message).toContain("backends.0");
    expect(message).toContain("modles");
    expect(message).toContain(path);
  });

  it("rejects unreadable files, bad JSON and duplicate backend names clearly", () => {
    expect(() => loadGatewayConfig({ file: join(dir, "missing.json"), env: {} })).toThrow(
      /cannot read config file/,
    );
    expect(() => loadGatewayConfig({ file: file("broken.json", "{"), env: {} })).toThrow(/not valid/);
    expect(() =>
      loadGatewayConfig({ env: {}, backendSpecs: ["a=http://127.0.0.1:1", "a=http://127.0.0.1:2"] }),
    ).toThrow(/two backends are named "a"/);
  });
});

describe("shared state settings", () => {
  it("has no Redis by default and a 60 s lease TTL", () => {
    const config = loadGatewayConfig({ env: {} });
    expect(config.redis).toBeUndefined();
    expect(config.redis_namespace).toBeUndefined();
    expect(config.lease_ttl).toBe(60);
  });

  it("builds the URL from ai-lb's REDIS_HOST and REDIS_PORT (port 6379 by default)", () => {
    expect(loadGatewayConfig({ env: { REDIS_HOST: "cache" } }).redis).toBe("redis://cache:6379");
    expect(loadGatewayConfig({ env: { REDIS_HOST: "10.0.0.5", REDIS_PORT: "6380" } }).redis).toBe(
      "redis://10.0.0.5:6380",
    );
    expect(loadGatewayConfig({ env: { REDIS_HOST: "::1", REDIS_PORT: "7000" } }).redis).toBe(
      "redis://[::1]:7000",
    );
  });

  it("takes REDIS_PORT alone as Redis on localhost, but not a service link's tcp:// value", () => {
    expect(loadGatewayConfig({ env: { REDIS_PORT: "6380" } }).redis).toBe("redis://localhost:6380");
    expect(loadGatewayConfig({ env: { REDIS_PORT: "tcp://10.0.0.7:6379" } }).redis).toBeUndefined();
    expect(loadGatewayConfig({ env: { REDIS_PORT: "" } }).redis).toBeUndefined();
  });

  it("prefers SWITCHYARD_REDIS_URL, a file's redis and --redis over REDIS_HOST", () => {
    const env = { REDIS_HOST: "seed", SWITCHYARD_LEASE_TTL: "5", SWITCHYARD_REDIS_NAMESPACE: "fleet" };
    expect(loadGatewayConfig({ env: { ...env, SWITCHYARD_REDIS_URL: "redis://env:1" } })).toMatchObject({
      redis: "redis://env:1",
      redis_namespace: "fleet",
      lease_ttl: 5,
    });
    const path = file("redis.json", { redis: "redis://file:2" });
    expect(loadGatewayConfig({ file: path, env }).redis).toBe("redis://file:2");
    expect(loadGatewayConfig({ env, flags: { redis: "rediss://flag:3" } }).redis).toBe("rediss://flag:3");
  });

  it("rejects a URL that is not redis:// and a REDIS_PORT that is not a port", () => {
    expect(() => loadGatewayConfig({ env: { SWITCHYARD_REDIS_URL: "http://x:1" } })).toThrow(/redis/);
    expect(() => loadGatewayConfig({ env: { REDIS_HOST: "h", REDIS_PORT: "nope" } })).toThrow(/redis/);
    expect(() => loadGatewayConfig({ env: { SWITCHYARD_LEASE_TTL: "0" } })).toThrow(/lease_ttl/);
  });
});

describe("backend ids", () => {
  it("uses the name, else host:port with the scheme's default port", () => {
    expect(backendId({ name: "n", url: "http://x:1" })).toBe("n");
    expect(backendId({ url: "http://x:1/v1" })).toBe("x:1");
    expect(backendId({ url: "https://api.example.com/v1" })).toBe("api.example.com:443");
    expect(parseBackendSpec("name=http://h:1")).toEqual({ name: "name", url: "http://h:1" });
    expect(parseBackendSpec("http://h:1/?a=b")).toEqual({ url: "http://h:1/?a=b" });
  });
});
