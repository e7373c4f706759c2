/**
 * `switchyard cluster`: N mock backends and a gateway in front of them, as child processes, the
 * seed 000 procedure. Prints one READY line per backend and one for the gateway as each answers;
 * SIGINT/SIGTERM stops every child, and a child that dies takes the cluster down with it.
 * @module
 */
import { launchMocks } from "./mocks.js";
import { formatReadyLine } from "./ready-line.js";
import { type ChildServer, spawnServer } from "./spawn-server.js";

export interface ClusterOptions {
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
  const mocks = await launchMocks({
    count: options.numBackends,
    host: options.backendHost,
    basePort: options.backendBasePort,
    echo,
    mockArgs: ["--models", options.models, ...options.mockArgs],
  });
  for (const mock of mocks)
    process.stdout.write(`${formatReadyLine("backend", mock.ready.id, mock.ready.url)}\n`);

  const gatewayArgs = ["gateway", "--host", options.lbHost, "--port", String(options.lbPort)];
  for (const mock of mocks) gatewayArgs.push("--backend", `${mock.ready.id}=${mock.ready.url}`);
  if (options.strategy) gatewayArgs.push("--strategy", options.strategy);
  if (options.healthInterval) gatewayArgs.push("--health-interval", options.healthInterval);
  gatewayArgs.push("--log-level", options.logLevel ?? (options.quiet ? "warn" : "info"));
  let gateway: ChildServer;
  try {
    gateway = await spawnServer(gatewayArgs, { echo, label: "gateway" });
  } catch (error) {
    await Promise.all(mocks.map((mock) => mock.stop()));
    throw error;
  }
  process.stdout.write(`${formatReadyLine("gateway", "gateway", gateway.ready.url)}\n`);

  const children = [gateway, ...mocks];
  let stopping = false;
  const shutdown = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    await gateway.stop();
    await Promise.all(mocks.map((mock) => mock.stop()));
    process.exit(exitCode);
  };
  for (const server of children) {
    server.child.once("exit", (code, signal) => {
      if (stopping) return;
      process.stderr.write(
        `switchyard cluster: ${server.ready.id} exited (${signal ?? code}); stopping the cluster\n`,
      );
      void shutdown(1);
    });
  }
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
}
