/**
 * Finds the GGUF file behind `--model-path` and refuses anything else with a message that says what to do.
 * serve runs llama.cpp, which reads GGUF only. A SafeTensors checkpoint directory never gets here (serve
 * converts it: model-source.ts); other checkpoints (PyTorch .bin, a lone .safetensors file) are refused
 * with how to convert them.
 * @module
 */
import { open, readdir, stat } from "node:fs/promises";
import { basename, extname, join } from "node:path";

/** Why a model path cannot be served; the message is meant for the person who typed the path. */
export class ModelFileError extends Error {
  override readonly name = "ModelFileError";
}

const GGUF_MAGIC = "GGUF";
const CHECKPOINT_EXTENSIONS = new Set([".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".onnx"]);
/** `model-00001-of-00003.gguf`: llama.cpp loads a split model from its first part. */
const SPLIT_PART = /-(\d{5})-of-(\d{5})\.gguf$/i;

/** How to turn a Hugging Face checkpoint into GGUF (shown in errors). */
export function conversionHint(path: string): string {
  return (
    `convert it to GGUF with llama.cpp: \`python convert_hf_to_gguf.py ${path} --outfile model.gguf --outtype q8_0\` ` +
    "(from https://github.com/ggml-org/llama.cpp), or download a ready GGUF build of the model"
  );
}

async function hasGgufMagic(path: string): Promise<boolean> {
  const file = await open(path, "r");
  try {
    const { bytesRead, buffer } = await file.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer.toString("latin1") === GGUF_MAGIC;
  } finally {
    await file.close();
  }
}

async function checkFile(path: string): Promise<string> {
  const extension = extname(path).toLowerCase();
  if (CHECKPOINT_EXTENSIONS.has(extension)) {
    throw new ModelFileError(`${path} is a ${extension} checkpoint, not GGUF; ${conversionHint(path)}`);
  }
  if (!(await hasGgufMagic(path))) {
    throw new ModelFileError(`${path} is not a GGUF file (no GGUF header); ${conversionHint(path)}`);
  }
  return path;
}

async function pickInDirectory(directory: string): Promise<string> {
  const names = (await readdir(directory)).sort();
  const ggufs = names.filter((name) => name.toLowerCase().endsWith(".gguf"));
  // Split models: the first part is what llama.cpp opens; the other parts are found next to it.
  const candidates = ggufs.filter((name) => {
    const split = SPLIT_PART.exec(name);
    return split === null || Number(split[1]) === 1;
  });
  if (candidates.length === 1) return checkFile(join(directory, candidates[0]!));
  if (candidates.length > 1) {
    throw new ModelFileError(
      `${directory} holds several GGUF models (${candidates.join(", ")}); pass one file as --model-path`,
    );
  }
  const checkpoint = names.some(
    (name) => CHECKPOINT_EXTENSIONS.has(extname(name).toLowerCase()) || name === "config.json",
  );
  if (checkpoint) {
    throw new ModelFileError(
      `${directory} looks like a Hugging Face checkpoint (SafeTensors/PyTorch), not GGUF; ${conversionHint(directory)}`,
    );
  }
  throw new ModelFileError(`${directory} holds no .gguf file`);
}

/**
 * The GGUF file to load for `path`: the file itself, or the one model in a directory (the first part of
 * a split model). Throws {@link ModelFileError} for a missing path, a checkpoint that needs converting,
 * a file without the GGUF header, or a directory with none or several models.
 */
export async function resolveModelFile(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new ModelFileError(`model path not found: ${path}`);
  return info.isDirectory() ? pickInDirectory(path) : checkFile(path);
}

/** The model id when `--model-name` is not given: the file name without `.gguf` (and split suffix). */
export function defaultModelName(file: string): string {
  return basename(file)
    .replace(SPLIT_PART, "")
    .replace(/\.gguf$/i, "");
}
