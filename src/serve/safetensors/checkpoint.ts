/**
 * A Hugging Face checkpoint directory: `config.json`, the SafeTensors shards (one file, or several listed
 * by `model.safetensors.index.json`) and the tokenizer files. Only headers and JSON are read here.
 * @module
 */
import { existsSync, readdirSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { ModelFileError } from "../model-file.js";
import { readSafetensorsHeader, type StoredTensor } from "./safetensors-file.js";

export type JsonObject = Record<string, unknown>;

export interface Checkpoint {
  readonly directory: string;
  readonly config: JsonObject;
  readonly shards: readonly string[];
  /** By the checkpoint's own tensor names. */
  readonly tensors: ReadonlyMap<string, StoredTensor>;
}

const INDEX_FILE = "model.safetensors.index.json";

/** Whether `directory` holds a SafeTensors checkpoint (then serve converts it rather than refusing it). */
export function isSafetensorsCheckpoint(directory: string): boolean {
  if (!existsSync(join(directory, "config.json"))) return false;
  return readdirSync(directory).some((name) => name.endsWith(".safetensors"));
}

/** A JSON file of the checkpoint, or `undefined` when it is absent. */
export async function readJsonFile(directory: string, name: string): Promise<JsonObject | undefined> {
  const path = join(directory, name);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, "utf8")) as JsonObject;
  } catch {
    throw new ModelFileError(`${path} is not valid JSON`);
  }
}

async function shardNames(directory: string): Promise<string[]> {
  const index = await readJsonFile(directory, INDEX_FILE);
  if (index !== undefined) {
    const weightMap = index.weight_map as Record<string, string> | undefined;
    if (typeof weightMap !== "object" || weightMap === null) {
      throw new ModelFileError(`${join(directory, INDEX_FILE)} has no weight_map`);
    }
    return [...new Set(Object.values(weightMap))].sort();
  }
  return readdirSync(directory)
    .filter((name) => name.endsWith(".safetensors"))
    .sort();
}

/** Reads config.json and every shard's header. */
export async function readCheckpoint(directory: string): Promise<Checkpoint> {
  const config = await readJsonFile(directory, "config.json");
  if (config === undefined) throw new ModelFileError(`${directory} has no config.json`);
  const shards = (await shardNames(directory)).map((name) => join(directory, name));
  const tensors = new Map<string, StoredTensor>();
  for (const shard of shards) {
    if (!(await stat(shard).catch(() => undefined))) {
      throw new ModelFileError(`${shard} is listed by ${INDEX_FILE} but missing (an unfinished download?)`);
    }
    for (const tensor of await readSafetensorsHeader(shard)) tensors.set(tensor.name, tensor);
  }
  return { directory, config, shards, tensors };
}
