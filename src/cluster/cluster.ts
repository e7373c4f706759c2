/**
 * `switchyard cluster`: N mock backends and a gateway in front of them, as child processes, the
 * local mock-cluster procedure. Prints one READY line per backend and one for the gateway as each answers;
 * SIGINT/SIGTERM stops every child, and a child that dies takes the cluster down with it.
 *
 * With `--replicas N` (N > 1) it starts N gateway replicas instead of one, on consecutive ports
 * from `--lb-port` (0: a free port each), all with the same backends and the same `--redis URL`.
 * After the backends' READY lines come N `READY gateway url=…` lines, one per replica, in replica
 * order (replica 1 first), printed once every replica answers. Without `--redis` the replicas share
 * nothing (registrations, circuits, caps are per replica), and the cluster warns about it.
 * @module
 */
import { backendId, loadGatewayConfig } from "../config/load.js";
import { launchMocks } from "../process/mocks.js";
import { formatReadyLine } from "../process/ready-line.js";
import { spawnServer } from "../process/spawn-server.js";
import { type StartedBackend, startConfiguredBackends } from "./configured.js";

export interface ClusterOptions {
  /** A gateway config file: its backends with `start_command` or `serve` are started, no mocks. */
  config?: string | undefined;
  readyTimeoutMs?: number;
  backendHost: string;
  lbHost: string;
  numBackends: number;
  backendBasePort: number;
  lbPort: number;
  quiet: boolean;
  models: string;
  strategy?: string | undefined;
  healthInterval?: string | undefined;
  logLevel?: string | undefined;
  mockArgs: readonly string[];
  /** How many gateway replicas (default 1). */
  replicas?: number;
  /** Redis URL every replica shares its state through. */
  redis?: string | undefined;
}

export async function runCluster(options: ClusterOptions): Promise<void> {
  const echo = !options.quiet;
  const configured = options.config
    ? await startFromConfig(options.config, echo, options.readyTimeoutMs ?? 600_000)
    : [];
  const mocks = options.config
    ? []
    : await launchMocks({
        count: options.numBackends,
        host: options.backendHost,
        basePort: options.backendBasePort,
        echo,
        mockArgs: ["--models", options.models, ...options.mockArgs],
      });
  for (const mock of mocks)
    process.stdout.write(`${formatReadyLine("backend", mock.ready.id, mock.ready.url)}\n`);

  const replicas = options.replicas ?? 1;
  if (replicas > 1 && !options.redis) {
    process.stderr.write(
      `switchyard cluster: ${replicas} replicas without --redis share no state (registrations, circuits and caps stay per replica)\n`,
    );
  }
  const gatewayArgs = (index: number) => {
    const port = options.lbPort === 0 ? 0 : options.lbPort + index;
    const args = ["gateway", "--host", options.lbHost, "--port", String(port)];
    if (options.config) args.push("--config", options.config);
    for (const mock of mocks) args.push("--backend", `${mock.ready.id}=${mock.ready.url}`);
    if (options.strategy) args.push("--strategy", options.strategy);
    if (options.healthInterval) args.push("--health-interval", options.healthInterval);
    if (options.redis) args.push("--redis", options.redis);
    args.push("--log-level", options.logLevel ?? (options.quiet ? "warn" : "info"));
    return args;
  };
  const stopBackends = () => Promise.all([...mocks, ...configured].map((backend) => backend.stop()));
  const launches = await Promise.allSettled(
    Array.from({ length: replicas }, (_, index) =>
      spawnServer(gatewayArgs(index), { echo, label: replicaLabel(index, replicas) }),
    ),
  );
  const gateways = launches.flatMap((launch) => (launch.status === "fulfilled" ? [launch.value] : []));
  const failed = launches.find((launch) => launch.status === "rejected");
  if (failed) {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await stopBackends();
    throw failed.reason;
  }
  const children = [
    ...gateways.map((gateway, index) => ({ id: replicaLabel(index, replicas), child: gateway.child })),
    ...mocks.map((mock) => ({ id: mock.ready.id, child: mock.child })),
    ...configured.map((backend) => ({ id: backend.name, child: backend.child })),
  ];
  let stopping = false;
  const shutdown = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await stopBackends();
    process.exit(exitCode);
  };
  for (const server of children) {
    server.child.once("exit", (code, signal) => {
      if (stopping) return;
      process.stderr.write(
        `switchyard cluster: ${server.id} exited (${signal ?? code}); stopping the cluster\n`,
      );
      void shutdown(1);
    });
  }
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
  // Only once the handlers are there: a signal sent on READY must stop the children too.
  for (const gateway of gateways)
    process.stdout.write(`${formatReadyLine("gateway", "gateway", gateway.ready.url)}\n`);
}

function replicaLabel(index: number, replicas: number): string {
  return replicas > 1 ? `gateway-${index + 1}` : "gateway";
}

/** Starts the config's startable backends and prints a READY line for every backend it names. */
async function startFromConfig(
  file: string,
  echo: boolean,
  readyTimeoutMs: number,
): Promise<StartedBackend[]> {
  const { backends } = loadGatewayConfig({ file, env: {} });
  const started = await startConfiguredBackends(backends, { echo, readyTimeoutMs });
  for (const backend of backends) {
    process.stdout.write(`${formatReadyLine("backend", backendId(backend), backend.url)}\n`);
  }
  return started;
}
