/**
 * What `--model-path` names: a GGUF file served as it is, or a Hugging Face SafeTensors checkpoint that is
 * converted to GGUF on first load (then reused from the cache). Both are checked before serve listens;
 * the conversion itself runs while `/health` says `loading`.
 * @module
 */
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { defaultModelName, resolveModelFile } from "./model-file.js";
import { isSafetensorsCheckpoint } from "./safetensors/checkpoint.js";
import { convertedPath, ensureConverted } from "./safetensors/conversion-cache.js";
import { planConversion } from "./safetensors/conversion-plan.js";

/** Progress and outcome lines while a checkpoint converts. */
export type ConversionLog = (message: string, fields?: Record<string, unknown>) => void;

export interface ModelSource {
  /** The GGUF file llama.cpp loads (for a checkpoint: the cache file, which may not exist yet). */
  readonly file: string;
  /** The model id when `--model-name` is not given. */
  readonly defaultName: string;
  /**
   * Makes `file` exist: converts a checkpoint unless cached; nothing for a GGUF. An aborted `signal`
   * stops a conversion after the tensor being written (leaving no file behind).
   */
  prepare(log: ConversionLog, signal?: AbortSignal): Promise<void>;
}

/** Progress is reported each time this share of the bytes is done. */
const PROGRESS_STEP = 0.1;

async function checkpointSource(directory: string, cacheDir: string | undefined): Promise<ModelSource> {
  const plan = await planConversion(directory);
  const file = await convertedPath(plan, cacheDir);
  return {
    file,
    defaultName: basename(directory),
    async prepare(log, signal) {
      const started = performance.now();
      let reported = 0;
      signal?.throwIfAborted();
      const converted = await ensureConverted(plan, file, (done, total) => {
        signal?.throwIfAborted();
        if (done / total >= reported + PROGRESS_STEP || done === total) {
          reported = done / total;
          log(`converting ${basename(directory)} to GGUF: ${Math.round(reported * 100)}%`, {
            doneBytes: done,
            totalBytes: total,
          });
        }
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      log(converted ? "converted the checkpoint to GGUF" : "using the cached GGUF conversion", {
        file,
        ...(converted ? { seconds } : {}),
      });
    },
  };
}

/** Resolves `--model-path`; throws `ModelFileError` with what to do for anything serve cannot use. */
export async function resolveModelSource(path: string, cacheDir?: string): Promise<ModelSource> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory() && isSafetensorsCheckpoint(path)) return checkpointSource(path, cacheDir);
  const file = await resolveModelFile(path);
  return { file, defaultName: defaultModelName(file), prepare: async () => undefined };
}
