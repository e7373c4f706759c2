/**
 * The gateway's pino logger. Secrets (API keys, auth headers) are redacted wherever they appear.
 * Lines are written asynchronously: with the access log on, a synchronous write per request would
 * block the event loop on stdout. Pino flushes what is still buffered when the process exits.
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
