/**
 * The processes `bench:overhead` measures: the mock (asked to serve Responses and Messages natively
 * when a native flavour runs), the baseline proxy and the gateway (its config, with a second backend
 * entry declaring `native_apis` for the native flavours), and one target's run: start it, probe each
 * protocol, run its phases, stop it.
 * @module
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type OtlpSink, startOtlpSink } from "./otlp-sink.js";
import { LONG_PROMPT_MODELS, longPromptConfig, longPromptPhases } from "./overhead-long-prompt.js";
import type { Options } from "./overhead-options.js";
import { type Pids, planPhases, probe, type RetryBudget, runPhases, warmTarget } from "./overhead-phases.js";
import { type Flavour, MODEL, NATIVE_APIS, NATIVE_MODEL, needsNative } from "./overhead-protocols.js";
import type { TargetName, TargetReport } from "./overhead-report.js";
import { type GatewayVariant, variantLabel } from "./overhead-variants.js";
import { PostgresServer } from "./postgres-server.js";
import { type BenchProcess, readTreeMemory, startGatewayProcess, startProcess } from "./processes.js";
import { BenchRedis } from "./redis-server.js";

const CLI = fileURLToPath(new URL("../src/cli/index.js", import.meta.url));
const BASELINE_PROXY = fileURLToPath(new URL("./baseline-proxy.js", import.meta.url));

/** A failure to start what the benchmark needs: reported in one message, without a stack. */
export class StartError extends Error {}

const MOCK_ARGS = ["mock", "--host", "127.0.0.1", "--port", "0", "--id", "bench-mock"];

export interface StartedMock {
  mock: BenchProcess;
  /** It took `--native-apis`, so it marks what it served natively (the probe checks the mark). */
  marksNative: boolean;
  /** Why the native flavours may not all run, for the report. */
  note?: string;
}

/**
 * Starts the zero-delay mock. For native flavours it serves both model names and is asked to serve
 * the Responses and Messages APIs natively (`--native-apis`); a mock that refuses the flag is started
 * without it and `note` says so: the native flavours then run only on the APIs it serves anyway,
 * and the probe reports the others.
 */
export async function startMock(flavours: readonly Flavour[], longPrompt = false): Promise<StartedMock> {
  const native = needsNative(flavours);
  const models = [
    MODEL,
    ...(native ? [NATIVE_MODEL] : []),
    ...(longPrompt ? Object.values(LONG_PROMPT_MODELS) : []),
  ];
  const args = models.length > 1 ? [...MOCK_ARGS, "--models", models.join(",")] : MOCK_ARGS;
  try {
    if (!native) return { mock: await startProcess("mock", CLI, args), marksNative: false };
    try {
      const flags = ["--native-apis", NATIVE_APIS.join(",")];
      return { mock: await startProcess("mock", CLI, [...args, ...flags]), marksNative: true };
    } catch (error) {
      const mock = await startProcess("mock", CLI, args);
      const why = (error instanceof Error ? error.message : String(error)).split("\n")[0];
      return {
        mock,
        marksNative: false,
        note:
          `the mock refused --native-apis ${NATIVE_APIS.join(",")} (${why}); started without it: ` +
          "a native flavour runs only where the mock serves that API anyway, the probe reports the others",
      };
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new StartError(
      `${message}\n(--mock-url <url> benchmarks against a backend that is already running)`,
    );
  }
}

/** The gateway's config: the chat backend, and the same mock again declaring native APIs when needed. */
export function gatewayConfig(
  mockUrl: string,
  variant: GatewayVariant,
  native: boolean,
  longPrompt = false,
): unknown {
  const chat = { name: "bench-mock", url: mockUrl, models: [MODEL], max_connections: variant.cap };
  const piped = {
    name: "bench-mock-native",
    url: mockUrl,
    models: [NATIVE_MODEL],
    max_connections: variant.cap,
    native_apis: [...NATIVE_APIS],
  };
  const backends = native ? [chat, piped] : [chat];
  if (!longPrompt) return { strategy: "round_robin", health_interval: 5, backends };
  const long = longPromptConfig(mockUrl);
  return {
    strategy: "round_robin",
    health_interval: 5,
    backends: [...backends, ...long.backends],
    model_strategies: long.model_strategies,
  };
}

async function startTarget(
  target: TargetName,
  mockUrl: string,
  options: Options,
  gateway: {
    tempDir: string;
    variant: GatewayVariant;
    redisUrl: string | undefined;
    native: boolean;
    otlpUrl: string | undefined;
    databaseUrl: string | undefined;
    longPrompt: boolean;
  },
) {
  if (target === "proxy")
    return startProcess("baseline proxy", BASELINE_PROXY, [
      mockUrl,
      "--connections",
      String(Math.max(options.concurrency, 16)),
    ]);
  const { variant, redisUrl, otlpUrl, databaseUrl } = gateway;
  // The gateway reads DATABASE_URL itself: only a ledger variant may see one.
  const { DATABASE_URL: _, SWITCHYARD_DATABASE_URL: __, ...base } = process.env;
  // Metrics every 5 s rather than the SDK's 60, so a phase of a few seconds pays for their export.
  const env = otlpUrl
    ? { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, OTEL_METRIC_EXPORT_INTERVAL: "5000" }
    : base;
  const config = join(gateway.tempDir, "gateway.json");
  await writeFile(
    config,
    JSON.stringify(gatewayConfig(mockUrl, variant, gateway.native, gateway.longPrompt)),
  );
  return startGatewayProcess(
    variantLabel(variant),
    CLI,
    config,
    [
      "--workers",
      String(variant.workers),
      "--access-log",
      String(variant.accessLog),
      ...(redisUrl ? ["--redis", redisUrl] : []),
      ...ledgerArgs(variant, gateway.tempDir, databaseUrl),
    ],
    env,
    // The embedded database's first start creates it: seconds, more on a busy host.
    variant.ledger ? LEDGER_START_TIMEOUT_MS : undefined,
  );
}

const LEDGER_START_TIMEOUT_MS = 90_000;

function ledgerArgs(variant: GatewayVariant, tempDir: string, databaseUrl: string | undefined): string[] {
  if (variant.ledger === "postgres") return ["--database-url", databaseUrl!];
  if (variant.ledger === "embedded")
    return [
      "--ledger",
      "true",
      "--ledger-dir",
      join(tempDir, `ledger-${variantLabel(variant).replace(/\W+/g, "-")}`),
    ];
  return [];
}

/** `--ledger postgres`: DATABASE_URL when set (left as it is), else a private server for this variant. */
async function ledgerServer(): Promise<{ url: string; server?: PostgresServer }> {
  const shared = process.env.DATABASE_URL ?? process.env.SWITCHYARD_DATABASE_URL;
  if (shared) return { url: shared };
  const server = await PostgresServer.create().catch((error: unknown) => {
    throw new StartError(
      `--ledger postgres: set DATABASE_URL or install postgres (${error instanceof Error ? error.message : String(error)})`,
    );
  });
  return { url: server.url, server };
}

export interface TargetContext {
  tempDir: string;
  budget: RetryBudget;
  signal: AbortSignal;
  variant: GatewayVariant;
  /** The protocols this target runs: every selected flavour on the baseline gateway, else chat. */
  flavours: readonly Flavour[];
  /** The long-prompt phases run on this target (the baseline gateway, with --long-prompt). */
  longPrompt: boolean;
}

/** Starts one target, probes each of its protocols, runs the phases of those that answered, stops it. */
export async function benchTarget(
  target: TargetName,
  mock: { url: string; pid: number | undefined; marksNative: boolean },
  options: Options,
  context: TargetContext,
): Promise<TargetReport> {
  const { variant } = context;
  const labels =
    target === "gateway" ? { label: variantLabel(variant), variant } : ({} as Partial<TargetReport>);
  let child: BenchProcess | undefined;
  let redis: BenchRedis | undefined;
  let sink: OtlpSink | undefined;
  let postgres: { url: string; server?: PostgresServer } | undefined;
  try {
    // A fresh Redis per variant: nothing left from an earlier run, and no CPU used outside its phases.
    if (target === "gateway" && variant.state === "redis") redis = await BenchRedis.start();
    if (target === "gateway" && variant.otel) sink = await startOtlpSink();
    if (target === "gateway" && variant.ledger === "postgres") postgres = await ledgerServer();
    const native = needsNative(context.flavours);
    if (target !== "direct")
      child = await startTarget(target, mock.url, options, {
        ...context,
        redisUrl: redis?.url,
        native,
        otlpUrl: sink?.url,
        databaseUrl: postgres?.url,
      });
    const url = child?.url ?? mock.url;
    const protocolErrors = await probe(url, context.flavours, { marksNative: mock.marksNative });
    const flavours = context.flavours.filter((flavour) => protocolErrors[flavour] === undefined);
    const pids: Pids =
      target === "direct"
        ? { target: mock.pid, mock: undefined, complete: mock.pid !== undefined }
        : { target: child?.pid, mock: mock.pid, redis: redis?.pid, complete: mock.pid !== undefined };
    const label = labels.label ?? target;
    if (flavours.length > 1) process.stderr.write(`  ${label} warming ${flavours.join(", ")} …\n`);
    await warmTarget(url, flavours, options, context.signal);
    const plans = [
      ...planPhases(target, options, flavours, options.protocolRate),
      ...(context.longPrompt ? longPromptPhases(options) : []),
    ];
    const phases = await runPhases(plans, url, pids, options, context.budget, context.signal, label);
    // The direct target is the mock, whose memory is reported once at the end.
    const memory = child ? readTreeMemory(child.pid) : undefined;
    const failed = Object.keys(protocolErrors).length > 0 ? { protocolErrors } : {};
    return { target, ...labels, status: "ok", ...failed, phases, ...(memory ? { memory } : {}) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { target, ...labels, status: "unavailable", error: message, phases: [] };
  } finally {
    await child?.stop();
    await redis?.stop();
    await sink?.close();
    await postgres?.server?.destroy();
  }
}
