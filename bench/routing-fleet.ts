/**
 * The fleet one `bench:routing` run measures: N simulated engines (`switchyard mock --engine-sim`,
 * each with its own seed, sped up by `--time-scale`) and one gateway in front of them with the
 * strategy under test. Every run starts a fresh fleet, so no strategy inherits another's warm caches.
 * A build whose mock has no engine simulator gets plain mocks with a fixed delay instead: every
 * strategy then looks alike, and the bench says so.
 * @module
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type BenchProcess, startGatewayProcess, startProcess } from "./processes.js";

const CLI = fileURLToPath(new URL("../src/cli/index.js", import.meta.url));

export const FLEET_MODEL = "bench-model";

/** Plain mocks (no simulator): a fixed wait before the first token and between tokens, in ms. */
const PLAIN_MOCK_DELAYS = { firstToken: 20, token: 2 };

/** Seconds between the gateway's scrapes of the engines' queues: often, as the run is sped up. */
const LOAD_INTERVAL_S = 0.25;

export interface FleetSpec {
  strategy: string;
  engines: number;
  engineSim: boolean;
  timeScale: number;
  profile?: string | undefined;
  seed: number;
  /** The gateway's `ttft_slo` in (wall-clock) seconds; none: no SLO admission. */
  ttftSloS?: number | undefined;
  /** KV admission at the gateway (`kv_admission`), its times in wall-clock seconds; none: off. */
  kvAdmission?: FleetKvAdmission | undefined;
  /** Where the gateway's config file goes. */
  tempDir: string;
}

export interface FleetKvAdmission {
  cacheTokens: number;
  holdS: number;
  waitS: number;
}

export interface Fleet {
  engines: BenchProcess[];
  gateway: BenchProcess;
  stop(): Promise<void>;
}

/** Whether this build's `switchyard mock` has the engine simulator (`--engine-sim`). */
export async function hasEngineSim(): Promise<boolean> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, "mock", "--help"]);
  return stdout.includes("--engine-sim");
}

function engineArgs(spec: FleetSpec, index: number): string[] {
  const common = ["mock", "--host", "127.0.0.1", "--port", "0", "--id", `engine-${index + 1}`];
  const models = ["--models", FLEET_MODEL];
  if (!spec.engineSim)
    return [
      ...common,
      ...models,
      "--first-token-delay-ms",
      String(PLAIN_MOCK_DELAYS.firstToken),
      "--token-delay-ms",
      String(PLAIN_MOCK_DELAYS.token),
    ];
  return [
    ...common,
    ...models,
    "--engine-sim",
    "--time-scale",
    String(spec.timeScale),
    "--seed",
    String(spec.seed + index),
    ...(spec.profile ? ["--engine-profile", spec.profile] : []),
  ];
}

/** The gateway's config: every engine, the strategy, and timeouts far above any wait in the run. */
export function fleetGatewayConfig(
  strategy: string,
  engines: readonly BenchProcess[],
  ttftSloS?: number,
  kv?: FleetKvAdmission,
): unknown {
  return {
    strategy,
    ...(ttftSloS === undefined ? {} : { ttft_slo: ttftSloS }),
    // Every session may wait at its engine's gate: the queue must not shed what the loop sends.
    ...(kv === undefined
      ? {}
      : {
          kv_admission: true,
          kv_cache_tokens: kv.cacheTokens,
          kv_admission_hold: kv.holdS,
          kv_admission_wait: kv.waitS,
          queue_size: 10_000,
          queue_timeout: 1200,
        }),
    load_interval: LOAD_INTERVAL_S,
    health_interval: 5,
    first_byte_timeout: 600,
    request_timeout: 1200,
    backends: engines.map((engine) => ({ name: engine.name, url: engine.url, models: [FLEET_MODEL] })),
  };
}

export async function startFleet(spec: FleetSpec): Promise<Fleet> {
  const started: BenchProcess[] = [];
  const stop = async () => {
    await Promise.all(started.map((child) => child.stop()));
  };
  try {
    const engines = await Promise.all(
      Array.from({ length: spec.engines }, async (_, index) => {
        const engine = await startProcess(`engine-${index + 1}`, CLI, engineArgs(spec, index));
        started.push(engine);
        return engine;
      }),
    );
    const config = join(spec.tempDir, `gateway-${spec.strategy}.json`);
    await writeFile(
      config,
      JSON.stringify(fleetGatewayConfig(spec.strategy, engines, spec.ttftSloS, spec.kvAdmission)),
    );
    const gateway = await startGatewayProcess(`gateway (${spec.strategy})`, CLI, config);
    started.push(gateway);
    return { engines, gateway, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
