/**
 * Everything a conversion will write, worked out from the checkpoint's headers and JSON alone: the GGUF
 * metadata and the tensor plan. Making it first means an unsupported architecture, a missing tokenizer
 * or a quantised checkpoint is refused before serve listens, and before a byte is written.
 * @module
 */
import { basename } from "node:path";
import type { GgufValue } from "../gguf/writer.js";
import { ModelFileError } from "../model-file.js";
import { type Architecture, architectureOf } from "./architectures.js";
import { type Checkpoint, readCheckpoint } from "./checkpoint.js";
import { geometryOf, hyperParameters, ropeFrequencyFactors, textConfig } from "./hyperparameters.js";
import type { PlannedTensor } from "./tensor-plan.js";
import { planTensors } from "./tensor-plan.js";
import { readTokenizerFiles, tokenizerMetadata } from "./tokenizer.js";

export interface ConversionPlan {
  readonly checkpoint: Checkpoint;
  readonly architecture: Architecture;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: readonly PlannedTensor[];
  /** Tensors computed here rather than read (Llama 3's rope factors). */
  readonly extraTensors: readonly { readonly name: string; readonly data: Float32Array }[];
  /** Bytes of tensor data to read, for progress. */
  readonly totalBytes: number;
}

/** general.file_type: what most weights are (llama.cpp's LLAMA_FTYPE). */
const FILE_TYPES: Readonly<Record<string, number>> = { f32: 0, f16: 1, bf16: 32 };

function embeddingRows(tensors: readonly PlannedTensor[]): number {
  const embedding = tensors.find((tensor) => tensor.info.name === "token_embd.weight");
  if (embedding === undefined)
    throw new ModelFileError("the checkpoint has no token embedding (model.embed_tokens)");
  return embedding.info.dims[1]!;
}

/** Reads a checkpoint's headers and JSON files and plans its conversion. */
export async function planConversion(directory: string): Promise<ConversionPlan> {
  const checkpoint = await readCheckpoint(directory);
  const architecture = architectureOf(checkpoint.config, directory);
  const text = textConfig(checkpoint.config, architecture);
  const tensors = planTensors(checkpoint.tensors.values(), architecture, geometryOf(text));
  const vocabularySize = embeddingRows(tensors);
  const tokenizer = readTokenizerFiles(directory, checkpoint.config);
  const fileType = tensors.find((tensor) => tensor.info.name === "token_embd.weight")!.info.type;
  const metadata = new Map<string, GgufValue>([
    ["general.architecture", { type: "string", value: architecture.gguf }],
    ["general.name", { type: "string", value: basename(directory) }],
    ["general.file_type", { type: "uint32", value: FILE_TYPES[fileType]! }],
    ...hyperParameters(architecture, text, vocabularySize),
    ...tokenizerMetadata(tokenizer, architecture, vocabularySize),
  ]);
  const ropeFactors = architecture.gguf === "llama" ? ropeFrequencyFactors(text) : undefined;
  const extraTensors = ropeFactors === undefined ? [] : [{ name: "rope_freqs.weight", data: ropeFactors }];
  const totalBytes = tensors.reduce((sum, tensor) => sum + tensor.source.byteLength, 0);
  return { checkpoint, architecture, metadata, tensors, extraTensors, totalBytes };
}
