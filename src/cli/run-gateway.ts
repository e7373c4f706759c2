/**
 * The gateway process: load and validate config, start the embedded mock cluster when nothing is
 * configured, listen, print the READY line, and shut down cleanly on SIGINT/SIGTERM.
 * @module
 */
import { launchMocks, mockId } from "../cluster/mocks.js";
import { clientUrl, formatReadyLine } from "../cluster/ready-line.js";
import { type ConfigSources, loadGatewayConfig } from "../config/load.js";
import { backendSchema } from "../config/schema.js";
import { buildGateway } from "../gateway/app.js";
import { createLogger } from "../gateway/logger.js";

const EMBEDDED_MOCKS = 4;

export async function runGateway(sources: ConfigSources): Promise<void> {
  const config = loadGatewayConfig(sources);
  const logger = createLogger(config.log_level);
  const nothingConfigured = config.backends.length === 0 && config.scan_hosts.length === 0;
  const mocks = nothingConfigured
    ? await launchMocks({ count: EMBEDDED_MOCKS, host: "127.0.0.1", basePort: 0, echo: false })
    : [];
  if (mocks.length > 0) {
    logger.info(
      { backends: mocks.map((mock) => mock.ready.url) },
      `no backends configured: started the embedded default, ${EMBEDDED_MOCKS} local mock backends serving mock-model`,
    );
    config.backends = mocks.map((mock, index) =>
      backendSchema.parse({ name: mockId(index), url: mock.ready.url, models: ["mock-model"] }),
    );
  }
  const stopMocks = () => Promise.all(mocks.map((mock) => mock.stop()));

  let gateway: ReturnType<typeof buildGateway>;
  try {
    gateway = buildGateway(config, logger);
    await gateway.start();
  } catch (error) {
    await stopMocks();
    throw error;
  }
  const address = gateway.app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  process.stdout.write(`${formatReadyLine("gateway", "gateway", clientUrl(config.host, port))}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    await gateway.close().catch((error: unknown) => logger.error({ err: error }, "error while closing"));
    await stopMocks();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
