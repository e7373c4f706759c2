/**
 * With neither `--model` nor `--config`, the bench asks the target which models it serves
 * (`GET /v1/models`, the OpenAI list both the gateway and most servers answer) and loads them all.
 * @module
 */
import { apiPath } from "./llm/request-body.js";
import { parseTarget } from "./target.js";

/** The ids in an OpenAI model list (`{data: [{id}]}`). */
export function modelIds(body: unknown): string[] {
  const data = typeof body === "object" && body !== null ? (body as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) return [];
  return data
    .map((entry) =>
      typeof entry === "object" && entry !== null ? (entry as { id?: unknown }).id : undefined,
    )
    .filter((id): id is string => typeof id === "string" && id.length > 0);
}

export async function discoverModels(url: string, apiKey?: string): Promise<string[]> {
  const target = parseTarget(url);
  const headers: Record<string, string> = { accept: "application/json" };
  if (apiKey) {
    headers.authorization = `Bearer ${apiKey}`;
    headers["x-api-key"] = apiKey;
  }
  const response = await fetch(target.origin + apiPath(target.basePath, "/v1/models"), {
    headers,
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`GET /v1/models answered ${response.status}; pass --model`);
  const models = modelIds(await response.json());
  if (models.length === 0) throw new Error("the target lists no models; pass --model");
  return models;
}
