/**
 * A GET with a hard deadline, for health checks, model discovery and metrics scraping. The whole
 * exchange (connect, headers, body) must finish within `timeoutMs`.
 * @module
 */
import type { Dispatcher } from "undici";

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
  return { status: response.statusCode, text: await response.body.text() };
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
