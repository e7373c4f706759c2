/**
 * A GET with a hard deadline, for health checks, model discovery and metrics scraping. The whole
 * exchange (connect, headers, body) must finish within `timeoutMs`, and the body may not pass
 * GET_BODY_LIMIT: within a health timeout a backend could otherwise send gigabytes, all held.
 * @module
 */
import type { Dispatcher } from "undici";
import { readBounded } from "./read-bounded.js";

/**
 * The largest body a health probe, model listing or metrics scrape reads: far above a hosted API's
 * model list (OpenRouter's is about 1 MB) or an engine's /metrics, far below what hurts.
 */
export const GET_BODY_LIMIT = 16 * 1024 * 1024;

export interface GetResult {
  status: number;
  text: string;
}

export async function getWithDeadline(
  dispatcher: Dispatcher,
  path: string,
  timeoutMs: number,
  headers?: Record<string, string>,
): Promise<GetResult> {
  const response = await dispatcher.request({
    method: "GET",
    path,
    ...(headers ? { headers } : {}),
    signal: AbortSignal.timeout(timeoutMs),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const body = await readBounded(response.body, response.headers, GET_BODY_LIMIT, "the GET limit");
  return { status: response.statusCode, text: body.toString("utf8") };
}

export function parseJsonOrUndefined(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Model ids from an OpenAI `/v1/models` body; empty when the body is not such a list. */
export function modelIds(body: unknown): string[] {
  const data = (body as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return [];
  return data
    .map((entry) => (entry as { id?: unknown })?.id)
    .filter((id): id is string => typeof id === "string");
}
