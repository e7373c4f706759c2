/**
 * Which GGUF tensor each checkpoint tensor becomes: its name (`model.layers.3.self_attn.q_proj.weight` →
 * `blk.3.attn_q.weight`), its dims (PyTorch's shape reversed), its type (BF16/F16/F32 kept; 1-D norms and
 * biases widened to F32 as llama.cpp's converter does) and the change its values need on the way.
 * @module
 */
import type { GgmlType, GgufTensorInfo } from "../gguf/writer.js";
import { ModelFileError } from "../model-file.js";
import type { Architecture } from "./architectures.js";
import type { Geometry } from "./hyperparameters.js";
import type { StoredTensor } from "./safetensors-file.js";

/** What happens to a tensor's values on the way into the GGUF file. */
export type TensorChange =
  | { readonly kind: "copy" }
  /** Reorder rows from HF's rotary layout to llama.cpp's, per head. */
  | { readonly kind: "permute"; readonly heads: number }
  /** Widen to F32, adding `shift` to each value. */
  | { readonly kind: "widen"; readonly shift: number };

export interface PlannedTensor {
  readonly info: GgufTensorInfo;
  readonly source: StoredTensor;
  readonly change: TensorChange;
}

const DTYPES: Readonly<Record<string, GgmlType>> = { F32: "f32", F16: "f16", BF16: "bf16" };

/** Tensors a text model does not need: vision towers of multimodal checkpoints, cached rotary tables. */
const SKIPPED = [
  /^(model\.)?vision_tower\./,
  /^(model\.)?multi_modal_projector\./,
  /\.rotary_emb\.inv_freq$/,
];

const GLOBAL_TENSORS: Readonly<Record<string, string>> = {
  "model.embed_tokens": "token_embd",
  "model.norm": "output_norm",
  lm_head: "output",
};

const LAYER = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/;

/** The GGUF name of a checkpoint tensor, or `undefined` for one the text model does not use. */
export function ggufName(name: string, architecture: Architecture): string | undefined {
  // Multimodal Gemma 3 keeps its text model under `language_model.` (`model.language_model.` in newer saves).
  const own = name.replace(/^language_model\./, "").replace(/^model\.language_model\./, "model.");
  if (SKIPPED.some((pattern) => pattern.test(own))) return undefined;
  const layer = LAYER.exec(own);
  if (layer !== null) {
    const [, index, part, suffix] = layer;
    const mapped = architecture.layerTensors[part!];
    return mapped === undefined ? unknownTensor(name, architecture) : `blk.${index}.${mapped}.${suffix}`;
  }
  const dot = own.lastIndexOf(".");
  const mapped = GLOBAL_TENSORS[own.slice(0, dot)];
  return mapped === undefined ? unknownTensor(name, architecture) : `${mapped}${own.slice(dot)}`;
}

function unknownTensor(name: string, architecture: Architecture): never {
  throw new ModelFileError(
    `tensor ${name} has no place in llama.cpp's ${architecture.gguf} architecture; ` +
      "the checkpoint may be a variant serve does not convert (use llama.cpp's convert_hf_to_gguf.py)",
  );
}

function isNorm(ggufTensorName: string): boolean {
  return /norm\.weight$/.test(ggufTensorName);
}

function changeOf(
  name: string,
  tensor: StoredTensor,
  architecture: Architecture,
  geometry: Geometry,
): TensorChange {
  if (tensor.shape.length === 1) {
    return { kind: "widen", shift: isNorm(name) ? architecture.normShift : 0 };
  }
  if (architecture.permuteQueryKey && /\.attn_q\.weight$/.test(name)) {
    return { kind: "permute", heads: geometry.heads };
  }
  if (architecture.permuteQueryKey && /\.attn_k\.weight$/.test(name)) {
    return { kind: "permute", heads: geometry.kvHeads };
  }
  return { kind: "copy" };
}

/** The plan for every tensor the text model uses, in the checkpoint's order. */
export function planTensors(
  tensors: Iterable<StoredTensor>,
  architecture: Architecture,
  geometry: Geometry,
): PlannedTensor[] {
  const plan: PlannedTensor[] = [];
  for (const source of tensors) {
    const name = ggufName(source.name, architecture);
    if (name === undefined) continue;
    const type = DTYPES[source.dtype];
    if (type === undefined) {
      throw new ModelFileError(
        `tensor ${source.name} is ${source.dtype}: only F32, F16 and BF16 checkpoints convert ` +
          "(a quantised checkpoint needs its original weights or a GGUF build)",
      );
    }
    const change = changeOf(name, source, architecture, geometry);
    const dims = [...source.shape].reverse();
    plan.push({ info: { name, dims, type: change.kind === "widen" ? "f32" : type }, source, change });
  }
  return plan;
}
