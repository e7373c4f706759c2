/**
 * The gateway's pino logger. Secrets (API keys, auth headers) are redacted wherever they appear.
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
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } });
}
