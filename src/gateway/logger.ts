/**
 * The gateway's pino logger. Secrets (API keys, auth headers) are redacted wherever they appear.
 * Lines are written asynchronously: with the access log on, a synchronous write per request would
 * block the event loop on stdout. Pino flushes what is still buffered when the process exits.
 * Fastify gets it through `forFastify`, which keeps fastify from making a logger per request.
 * @module
 */
import { type Logger, pino } from "pino";

export const REDACTED_PATHS = [
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  "headers.authorization",
  'headers["x-api-key"]',
  "*.api_key",
  "*.api_keys",
  "*.apiKey",
];

export function createLogger(level: string): Logger {
  return pino(
    { level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } },
    pino.destination({ dest: process.stdout.fd, sync: false }),
  );
}

/**
 * The logger to hand fastify. Fastify makes its own child of it once (adding its serializers), then
 * asks that child for a child on every request; here the answer is the child itself, so a request
 * costs no pino child (log lines carry `reqId` explicitly). A custom `childLoggerFactory` would do
 * the same, but fastify then checks the logger it returns for seven methods on every request.
 */
export function forFastify(logger: Logger): Logger {
  const adapter = Object.create(logger) as Logger;
  adapter.child = ((bindings, options) => {
    const child = logger.child(bindings, options);
    child.child = (() => child) as Logger["child"];
    return child;
  }) as Logger["child"];
  return adapter;
}
