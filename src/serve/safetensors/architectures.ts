/**
 * The model families serve converts, keyed by `config.json`'s `architectures`, and what differs between
 * them in GGUF: the llama.cpp architecture name, the default pre-tokenizer, which layer tensors exist
 * and where they go, and the conventions llama.cpp's `convert_hf_to_gguf.py` applies (Llama's q/k row
 * permutation for its rotary layout, Gemma's RMS norm weights stored as `1 + w`).
 * @module
 */
import { ModelFileError } from "../model-file.js";
import type { JsonObject } from "./checkpoint.js";

export type GgufArchitecture = "llama" | "qwen2" | "qwen3" | "gemma3";

export interface Architecture {
  readonly gguf: GgufArchitecture;
  /** `tokenizer.ggml.pre` when the tokenizer's own pre-tokenizer does not say otherwise. */
  readonly preTokenizer: string;
  /** Layer tensor (after `model.layers.N.`, before `.weight`/`.bias`) → GGUF name (after `blk.N.`). */
  readonly layerTensors: Readonly<Record<string, string>>;
  /** Llama-style checkpoints store q/k rows in HF's rotary order; llama.cpp wants them interleaved. */
  readonly permuteQueryKey: boolean;
  /** Added to every RMS norm weight (Gemma multiplies by `1 + w`; llama.cpp by `w`). */
  readonly normShift: number;
}

const ATTENTION_AND_MLP = {
  "self_attn.q_proj": "attn_q",
  "self_attn.k_proj": "attn_k",
  "self_attn.v_proj": "attn_v",
  "self_attn.o_proj": "attn_output",
  "mlp.gate_proj": "ffn_gate",
  "mlp.up_proj": "ffn_up",
  "mlp.down_proj": "ffn_down",
  input_layernorm: "attn_norm",
} as const;

const LLAMA_LAYERS = { ...ATTENTION_AND_MLP, post_attention_layernorm: "ffn_norm" };
const QK_NORMS = { "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm" };

const LLAMA: Architecture = {
  gguf: "llama",
  preTokenizer: "llama-bpe",
  layerTensors: LLAMA_LAYERS,
  permuteQueryKey: true,
  normShift: 0,
};

const QWEN2: Architecture = {
  gguf: "qwen2",
  preTokenizer: "qwen2",
  layerTensors: LLAMA_LAYERS,
  permuteQueryKey: false,
  normShift: 0,
};

const QWEN3: Architecture = { ...QWEN2, gguf: "qwen3", layerTensors: { ...LLAMA_LAYERS, ...QK_NORMS } };

const GEMMA3: Architecture = {
  gguf: "gemma3",
  preTokenizer: "default",
  layerTensors: {
    ...ATTENTION_AND_MLP,
    ...QK_NORMS,
    // Gemma normalises around both sublayers: its post_attention_layernorm is not Llama's pre-FFN norm.
    post_attention_layernorm: "post_attention_norm",
    pre_feedforward_layernorm: "ffn_norm",
    post_feedforward_layernorm: "post_ffw_norm",
  },
  permuteQueryKey: false,
  normShift: 1,
};

/** `config.json` `architectures` entries → family. Mistral's checkpoints are Llama's architecture. */
const BY_HF_NAME: ReadonlyMap<string, Architecture> = new Map([
  ["LlamaForCausalLM", LLAMA],
  ["MistralForCausalLM", LLAMA],
  ["Qwen2ForCausalLM", QWEN2],
  ["Qwen3ForCausalLM", QWEN3],
  ["Gemma3ForCausalLM", GEMMA3],
  ["Gemma3ForConditionalGeneration", GEMMA3],
]);

/** The names serve converts, for messages. */
export const SUPPORTED_ARCHITECTURES = [...BY_HF_NAME.keys()];

/** The family of a checkpoint, or a {@link ModelFileError} naming its architecture and the way out. */
export function architectureOf(config: JsonObject, directory: string): Architecture {
  const names = Array.isArray(config.architectures) ? (config.architectures as unknown[]).map(String) : [];
  for (const name of names) {
    const architecture = BY_HF_NAME.get(name);
    if (architecture !== undefined) return architecture;
  }
  const named = names.length > 0 ? names.join(", ") : `model_type ${String(config.model_type ?? "unknown")}`;
  throw new ModelFileError(
    `${directory}: cannot convert architecture ${named} to GGUF in-process (supported: ` +
      `${SUPPORTED_ARCHITECTURES.join(", ")}); convert it with llama.cpp's convert_hf_to_gguf.py, ` +
      "download a GGUF build of the model, or serve it with an engine that reads SafeTensors (vLLM, SGLang)",
  );
}
