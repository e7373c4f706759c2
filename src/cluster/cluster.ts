/**
 * `switchyard cluster`: N mock backends and a gateway in front of them, as child processes, the
 * seed 000 procedure. Prints one READY line per backend and one for the gateway as each answers;
 * SIGINT/SIGTERM stops every child, and a child that dies takes the cluster down with it.
 * @module
 */
import { backendId, loadGatewayConfig } from "../config/load.js";
import { type StartedBackend, startConfiguredBackends } from "./configured.js";
import { launchMocks } from "./mocks.js";
import { formatReadyLine } from "./ready-line.js";
import { type ChildServer, spawnServer } from "./spawn-server.js";

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

  const gatewayArgs = ["gateway", "--host", options.lbHost, "--port", String(options.lbPort)];
  if (options.config) gatewayArgs.push("--config", options.config);
  for (const mock of mocks) gatewayArgs.push("--backend", `${mock.ready.id}=${mock.ready.url}`);
  if (options.strategy) gatewayArgs.push("--strategy", options.strategy);
  if (options.healthInterval) gatewayArgs.push("--health-interval", options.healthInterval);
  gatewayArgs.push("--log-level", options.logLevel ?? (options.quiet ? "warn" : "info"));
  const stopBackends = () => Promise.all([...mocks, ...configured].map((backend) => backend.stop()));
  let gateway: ChildServer;
  try {
    gateway = await spawnServer(gatewayArgs, { echo, label: "gateway" });
  } catch (error) {
    await stopBackends();
    throw error;
  }
  process.stdout.write(`${formatReadyLine("gateway", "gateway", gateway.ready.url)}\n`);

  const children = [
    { id: "gateway", child: gateway.child },
    ...mocks.map((mock) => ({ id: mock.ready.id, child: mock.child })),
    ...configured.map((backend) => ({ id: backend.name, child: backend.child })),
  ];
  let stopping = false;
  const shutdown = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    await gateway.stop();
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
