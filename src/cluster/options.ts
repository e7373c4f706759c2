/**
 * `switchyard cluster`'s options, declared once (src/options/), flag for flag as the local
 * mock-cluster procedure it replaces, plus the mock knobs that make the cluster useful for demos and
 * benchmarks. The gateway and mock values are passed on as flags, and those commands check them.
 * @module
 */
import { z } from "zod";
import { defineOptions } from "../options/declare.js";

const port = (fallback: number) => z.number().int().min(0).max(65535).default(fallback);

export const CLUSTER_OPTIONS = defineOptions({
  host: {
    type: z.string().default("127.0.0.1"),
    flag: "--host <host>",
    help: "address for the backends and the gateway",
  },
  backendHost: {
    type: z.string().optional(),
    flag: "--backend-host <host>",
    shownDefault: "--host",
    help: "address the backends bind",
  },
  lbHost: {
    type: z.string().optional(),
    flag: "--lb-host <host>",
    shownDefault: "--host",
    help: "address the gateway binds",
  },
  numBackends: {
    type: z.number().int().min(1).default(4),
    flag: "--num-backends <n>",
    help: "how many mock backends",
  },
  backendBasePort: {
    type: port(32100),
    flag: "--backend-base-port <port>",
    help: "port of the first backend, the rest follow (0: free ports)",
  },
  lbPort: {
    type: port(32000),
    flag: "--lb-port <port>",
    help: "port of the gateway; replicas take consecutive ports from it (0: a free port each)",
  },
  replicas: {
    type: z.number().int().min(1).default(1),
    flag: "--replicas <n>",
    help: "how many gateway replicas (one READY gateway line each, in replica order)",
  },
  redis: {
    type: z.string().optional(),
    flag: "--redis <url>",
    help: "Redis the gateway replicas share registrations, circuits and caps through",
  },
  quiet: { type: z.boolean().default(false), flag: "--quiet", help: "print only the READY lines and errors" },
  config: {
    type: z.string().optional(),
    flag: "--config <file>",
    help: "start the backends this gateway config names (start_command or serve entries) instead of mocks",
  },
  readyTimeout: {
    type: z.number().min(0).default(600),
    flag: "--ready-timeout <seconds>",
    help: "how long a started backend may take to become ready",
  },
  models: {
    type: z.string().default("mock-model"),
    flag: "--models <list>",
    help: "models every mock serves (comma-separated)",
  },
  strategy: {
    type: z.string().optional(),
    flag: "--strategy <name>",
    help: "gateway load-balancing strategy",
  },
  healthInterval: {
    type: z.string().optional(),
    flag: "--health-interval <seconds>",
    help: "gateway health-check interval",
  },
  logLevel: {
    type: z.string().optional(),
    flag: "--log-level <level>",
    help: "gateway log level (default: info, or warn with --quiet)",
  },
  firstTokenDelayMs: {
    type: z.number().min(0).optional(),
    flag: "--first-token-delay-ms <ms>",
    help: "mock latency before the first token",
  },
  tokenDelayMs: {
    type: z.number().min(0).optional(),
    flag: "--token-delay-ms <ms>",
    help: "mock delay between streamed tokens",
  },
  engineSim: {
    type: z.boolean().default(false),
    flag: "--engine-sim",
    help: "every mock simulates a vLLM engine (switchyard mock --engine-sim)",
  },
  engineProfile: {
    type: z.string().optional(),
    flag: "--engine-profile <name>",
    help: "the simulated engines' profile (switchyard mock --engine-profile)",
  },
  kvCacheTokens: {
    type: z.number().int().min(16).optional(),
    flag: "--kv-cache-tokens <n>",
    help: "each simulated engine's KV cache, in tokens",
  },
  maxNumSeqs: {
    type: z.number().int().min(1).optional(),
    flag: "--max-num-seqs <n>",
    help: "most sequences each simulated engine runs at once",
  },
  maxBatchedTokens: {
    type: z.number().int().min(1).optional(),
    flag: "--max-batched-tokens <n>",
    help: "most tokens in one step of each simulated engine",
  },
  timeScale: {
    type: z.number().positive().optional(),
    flag: "--time-scale <factor>",
    help: "simulated seconds per wall-clock second of every simulated engine",
  },
});
