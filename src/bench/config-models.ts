/**
 * `--config FILE` for the bench: the models to load-test, read from a two_models_config.json router file
 * (`{models: {<name>: {endpoint}}}`) or from a native gateway config (`{backends: [{url, models}]}`).
 * The bench sends every request to the gateway (`PORT`), so only the model names matter here.
 * @module
 */
import { readConfigFile } from "../config/load.js";
import { isRouterFileConfig } from "../config/router-file.js";

function backendModels(backends: unknown): string[] {
  if (!Array.isArray(backends)) return [];
  const models: string[] = [];
  for (const backend of backends) {
    const listed =
      typeof backend === "object" && backend !== null ? (backend as { models?: unknown }).models : [];
    if (!Array.isArray(listed)) continue;
    for (const model of listed) if (typeof model === "string" && model.length > 0) models.push(model);
  }
  return models;
}

/** The distinct model names a config lists, in the order it lists them. */
export function modelsFromConfig(value: unknown): string[] {
  if (typeof value !== "object" || value === null) throw new Error("the config file must hold an object");
  const models = isRouterFileConfig(value)
    ? Object.keys((value as { models: Record<string, unknown> }).models)
    : backendModels((value as { backends?: unknown }).backends);
  const distinct = [...new Set(models)];
  if (distinct.length === 0)
    throw new Error(
      "the config file lists no models (a router file's `models`, or `backends[].models`); pass --model",
    );
  return distinct;
}

/** Reads a JSON or YAML config file (either format) and returns its models. */
export function readConfigModels(path: string): string[] {
  return modelsFromConfig(readConfigFile(path));
}
