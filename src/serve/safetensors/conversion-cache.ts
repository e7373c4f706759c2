/**
 * Where a converted checkpoint is kept and whether it is already there. The file name carries a key made
 * from the checkpoint's files (names, sizes, modification times) and the converter's version, so a
 * changed checkpoint or a newer converter converts again while an unchanged one is reused.
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { ConversionPlan } from "./conversion-plan.js";
import { type ProgressListener, writeConvertedGguf } from "./write-gguf.js";

/** Bump when the converter's output changes, so caches written by an older one are not reused. */
const CONVERTER_VERSION = 1;

/** The cache folder inside the checkpoint when `--cache-dir` is not given. */
export const CHECKPOINT_CACHE_FOLDER = ".switchyard-gguf";

const KEYED_FILES = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "chat_template.jinja",
  "model.safetensors.index.json",
];

async function fingerprint(plan: ConversionPlan): Promise<string> {
  const hash = createHash("sha256").update(`v${CONVERTER_VERSION}\n`);
  const directory = plan.checkpoint.directory;
  const files = [...KEYED_FILES.map((name) => join(directory, name)), ...plan.checkpoint.shards];
  for (const file of files) {
    const info = await stat(file).catch(() => undefined);
    hash.update(`${basename(file)} ${info?.size ?? -1} ${info?.mtimeMs ?? -1}\n`);
  }
  return hash.digest("hex").slice(0, 16);
}

/** The GGUF path a checkpoint converts to: `<cache>/<checkpoint name>-<key>.gguf`. */
export async function convertedPath(plan: ConversionPlan, cacheDir: string | undefined): Promise<string> {
  const folder = cacheDir ?? join(plan.checkpoint.directory, CHECKPOINT_CACHE_FOLDER);
  return join(folder, `${basename(plan.checkpoint.directory)}-${await fingerprint(plan)}.gguf`);
}

/** Earlier conversions of the same checkpoint (other keys): stale, and as large as the model. */
async function removeStale(target: string): Promise<void> {
  const folder = join(target, "..");
  const name = basename(target);
  const prefix = name.slice(0, name.lastIndexOf("-") + 1);
  for (const entry of await readdir(folder)) {
    if (
      entry !== name &&
      entry.startsWith(prefix) &&
      /^[0-9a-f]{16}\.gguf$/.test(entry.slice(prefix.length))
    ) {
      await rm(join(folder, entry), { force: true });
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Temporary files of conversions whose process is gone (killed mid-way): never used, but as large as the
 * part written, so they are removed. A live process's file is left to it.
 */
async function removeAbandoned(target: string): Promise<void> {
  const folder = join(target, "..");
  const prefix = `${basename(target)}.`;
  for (const entry of await readdir(folder)) {
    const pid = Number(/^(\d+)\.partial$/.exec(entry.slice(prefix.length))?.[1]);
    if (entry.startsWith(prefix) && Number.isInteger(pid) && pid !== process.pid && !isRunning(pid)) {
      await rm(join(folder, entry), { force: true });
    }
  }
}

/**
 * Converts unless `target` already exists (a complete earlier conversion: only finished files are ever
 * renamed to that name). Resolves to whether it converted.
 */
export async function ensureConverted(
  plan: ConversionPlan,
  target: string,
  onProgress?: ProgressListener,
): Promise<boolean> {
  if (existsSync(target)) return false;
  await mkdir(join(target, ".."), { recursive: true });
  await removeAbandoned(target);
  await writeConvertedGguf(plan, target, onProgress);
  await removeStale(target);
  return true;
}
