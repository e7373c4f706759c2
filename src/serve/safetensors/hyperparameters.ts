/**
 * `config.json` → the `<arch>.*` GGUF keys llama.cpp reads for each family (as `convert_hf_to_gguf.py`
 * writes them), plus Llama 3's rope frequency factors, which llama.cpp takes as a tensor.
 * @module
 */
import type { GgufValue } from "../gguf/writer.js";
import { ModelFileError } from "../model-file.js";
import type { Architecture } from "./architectures.js";
import type { JsonObject } from "./checkpoint.js";

/**
 * The text model's settings. Multimodal Gemma 3 nests them in `text_config`, which may leave out what
 * transformers' Gemma3TextConfig defaults (so do we, with the same values).
 */
export function textConfig(config: JsonObject, architecture: Architecture): JsonObject {
  const nested = config.text_config as JsonObject | undefined;
  if (architecture.gguf !== "gemma3") return nested ?? config;
  return {
    rope_theta: 1_000_000,
    rms_norm_eps: 1e-6,
    head_dim: 256,
    sliding_window: 4096,
    max_position_embeddings: 131_072,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    ...(nested ?? config),
  };
}

function required(config: JsonObject, key: string): number {
  const value = config[key];
  if (typeof value !== "number") throw new ModelFileError(`config.json: ${key} is missing or not a number`);
  return value;
}

function optionalNumber(config: JsonObject, key: string): number | undefined {
  const value = config[key];
  return typeof value === "number" ? value : undefined;
}

/** Attention geometry every family shares. */
export interface Geometry {
  readonly embedding: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

export function geometryOf(text: JsonObject): Geometry {
  const embedding = required(text, "hidden_size");
  const heads = required(text, "num_attention_heads");
  const kvHeads = optionalNumber(text, "num_key_value_heads") ?? heads;
  const headDim = optionalNumber(text, "head_dim") ?? embedding / heads;
  return { embedding, heads, kvHeads, headDim };
}

type Entry = [string, GgufValue];
const u32 = (value: number): GgufValue => ({ type: "uint32", value });
const f32 = (value: number): GgufValue => ({ type: "float32", value });

function ropeScaling(arch: string, text: JsonObject): Entry[] {
  const scaling = text.rope_scaling as JsonObject | null | undefined;
  if (typeof scaling !== "object" || scaling === null) return [];
  const kind = String(scaling.rope_type ?? scaling.type ?? "");
  const factor = optionalNumber(scaling, "factor");
  if (factor === undefined) return [];
  if (kind === "linear") {
    return [
      [`${arch}.rope.scaling.type`, { type: "string", value: "linear" }],
      [`${arch}.rope.scaling.factor`, f32(factor)],
    ];
  }
  if (kind === "yarn") {
    const original = optionalNumber(scaling, "original_max_position_embeddings");
    return [
      [`${arch}.rope.scaling.type`, { type: "string", value: "yarn" }],
      [`${arch}.rope.scaling.factor`, f32(factor)],
      ...(original === undefined
        ? []
        : ([[`${arch}.rope.scaling.original_context_length`, u32(original)]] as Entry[])),
    ];
  }
  // llama3 scaling travels as the rope_freqs tensor (ropeFrequencyFactors).
  return [];
}

/** The `<arch>.*` keys for a checkpoint's config. */
export function hyperParameters(
  architecture: Architecture,
  text: JsonObject,
  vocabularySize: number,
): Entry[] {
  const arch = architecture.gguf;
  const geometry = geometryOf(text);
  const entries: Entry[] = [
    [`${arch}.vocab_size`, u32(vocabularySize)],
    [`${arch}.context_length`, u32(required(text, "max_position_embeddings"))],
    [`${arch}.embedding_length`, u32(geometry.embedding)],
    [`${arch}.block_count`, u32(required(text, "num_hidden_layers"))],
    [`${arch}.feed_forward_length`, u32(required(text, "intermediate_size"))],
    [`${arch}.attention.head_count`, u32(geometry.heads)],
    [`${arch}.attention.head_count_kv`, u32(geometry.kvHeads)],
    [`${arch}.attention.layer_norm_rms_epsilon`, f32(required(text, "rms_norm_eps"))],
    [`${arch}.rope.freq_base`, f32(optionalNumber(text, "rope_theta") ?? 10_000)],
  ];
  if (typeof text.head_dim === "number") {
    entries.push([`${arch}.attention.key_length`, u32(geometry.headDim)]);
    entries.push([`${arch}.attention.value_length`, u32(geometry.headDim)]);
  }
  if (arch === "llama") entries.push([`${arch}.rope.dimension_count`, u32(geometry.headDim)]);
  if (arch === "gemma3") {
    entries.push([`${arch}.attention.sliding_window`, u32(required(text, "sliding_window"))]);
  }
  entries.push(...ropeScaling(arch, text));
  return entries;
}

/**
 * Llama 3.1+'s long-context rope (`rope_type: llama3`): one factor per rotary frequency, which llama.cpp
 * reads from a `rope_freqs.weight` tensor (the frequencies are divided by them).
 */
export function ropeFrequencyFactors(text: JsonObject): Float32Array | undefined {
  const scaling = text.rope_scaling as JsonObject | null | undefined;
  if (typeof scaling !== "object" || scaling === null) return undefined;
  if (String(scaling.rope_type ?? scaling.type ?? "") !== "llama3") return undefined;
  const { headDim } = geometryOf(text);
  const base = optionalNumber(text, "rope_theta") ?? 10_000;
  const factor = optionalNumber(scaling, "factor") ?? 8;
  const lowFactor = optionalNumber(scaling, "low_freq_factor") ?? 1;
  const highFactor = optionalNumber(scaling, "high_freq_factor") ?? 4;
  const oldContext = optionalNumber(scaling, "original_max_position_embeddings") ?? 8192;
  const lowWavelength = oldContext / lowFactor;
  const highWavelength = oldContext / highFactor;
  const factors = new Float32Array(headDim / 2);
  for (let i = 0; i < factors.length; i++) {
    const frequency = 1 / base ** ((2 * i) / headDim);
    const wavelength = (2 * Math.PI) / frequency;
    if (wavelength < highWavelength) factors[i] = 1;
    else if (wavelength > lowWavelength) factors[i] = factor;
    else {
      const smooth = (oldContext / wavelength - lowFactor) / (highFactor - lowFactor);
      factors[i] = 1 / ((1 - smooth) / factor + smooth);
    }
  }
  return factors;
}
