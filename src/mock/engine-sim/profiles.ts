/**
 * Engine profiles: the constants that turn a scheduler step into time, and the default capacity of
 * the KV cache and the batch. One profile is calibrated to a published figure for a real model on a
 * real GPU; its derivation is written next to each constant so it can be checked and redone.
 *
 * The cost model is a roofline one. A step reads the weights once (`stepBaseMs`, memory-bound).
 * Each decoding sequence reads its whole KV context (`kvReadMsPerToken` per context token) plus a
 * small fixed cost (`decodeSeqMs`). Each prompt token computed (not found in the prefix cache)
 * costs its matmul FLOPs (`prefillTokenMs`) plus attention over every token before it
 * (`prefillAttentionMsPerToken` per earlier token): a cached prefix spares its own tokens, not the
 * suffix's attention to it.
 * @module
 */

export interface EngineProfile {
  readonly name: string;
  /** What the figures describe, and where they come from (shown in docs, not used in code). */
  readonly source: string;
  /** Fixed cost of one scheduler step (ms): reading the weights once, plus launch overhead. */
  readonly stepBaseMs: number;
  /** Fixed cost per decoding sequence in a step (ms): sampling, its share of the batch's matmuls. */
  readonly decodeSeqMs: number;
  /** Per decoding sequence and token of its context (ms): reading that token's K and V. */
  readonly kvReadMsPerToken: number;
  /** Per prompt token computed (ms): its matmul FLOPs. Cached prefix tokens cost nothing. */
  readonly prefillTokenMs: number;
  /** Per prompt token computed and token before it (ms): its attention FLOPs. */
  readonly prefillAttentionMsPerToken: number;
  /** KV cache capacity in tokens (vLLM logs it at start as "GPU KV cache size"). */
  readonly kvCacheTokens: number;
  /** vLLM's `--max-num-seqs`: most sequences running at once. */
  readonly maxNumSeqs: number;
  /** vLLM's `--max-num-batched-tokens`: most tokens (prefill chunks + decodes) in one step. */
  readonly maxBatchedTokens: number;
  /** Relative spread of step times (seeded), as kernels and the host add noise. */
  readonly jitter: number;
}

/**
 * Llama-3.1-8B-Instruct, BF16, vLLM (V1 engine, chunked prefill, prefix caching on) on one
 * NVIDIA H100 SXM 80 GB. Model shape: 8.03 G parameters, 32 layers, 32 query heads and 8 KV heads
 * of 128 dimensions.
 *
 * - Published figure it is calibrated to: about 12,500 output tok/s for Llama 3.1 8B BF16 on one
 *   H100 80 GB under vLLM at full batch (collected at morphllm.com/vllm-benchmarks, 2026; the same
 *   order as the vLLM v0.6 performance blog's H100 8B runs). With 256 sequences of ~1,500 tokens of
 *   context decoding, a step is 6 + 256 × (0.005 + 1,500 × 0.00004) = 22.6 ms → 11,300 tok/s,
 *   within 10 % of it.
 * - stepBaseMs 6: the 16.1 GB of weights at the H100's 3.35 TB/s take 4.8 ms, plus ~1.2 ms of
 *   scheduling and launch overhead (batch-1 inter-token latency of 6–7 ms is the usual report).
 * - kvReadMsPerToken 0.00004: one token's KV is 32 layers × 8 KV heads × 128 dims × 2 (K, V) ×
 *   2 bytes = 128 KiB, read in 0.039 µs at 3.35 TB/s.
 * - decodeSeqMs 0.005: sampling and the per-sequence share of the batch's matmuls, small beside
 *   the KV reads.
 * - prefillTokenMs 0.04: 2 × 8.03 G parameters = 16 GFLOP per token; at 40 % of the H100's
 *   989 dense BF16 TFLOPS that is 0.04 ms per token, 25,000 prefill tok/s on short prompts.
 * - prefillAttentionMsPerToken 0.0000013: attention is 2 × 2 × 32 layers × 32 heads × 128 dims =
 *   524 kFLOP per earlier token; at the same 40 % that is 1.3 ns, so a token 32 k deep costs twice
 *   a token at the start.
 * - kvCacheTokens 400,000: 80 GB × 0.9 (gpu_memory_utilization) − 16 GB weights − ~4 GB of
 *   activations and CUDA graphs ≈ 52 GB of KV at 128 KiB per token.
 * - maxNumSeqs 256, maxBatchedTokens 8,192: vLLM's defaults for online serving on an H100.
 */
export const LLAMA_3_1_8B_H100: EngineProfile = {
  name: "llama-3.1-8b-h100",
  source:
    "Llama-3.1-8B-Instruct BF16, vLLM V1 on 1× H100 SXM 80 GB; calibrated to ~12,500 output tok/s at full batch (morphllm.com/vllm-benchmarks) and the H100's 3.35 TB/s and 989 BF16 TFLOPS",
  stepBaseMs: 6,
  decodeSeqMs: 0.005,
  kvReadMsPerToken: 0.00004,
  prefillTokenMs: 0.04,
  prefillAttentionMsPerToken: 0.0000013,
  kvCacheTokens: 400_000,
  maxNumSeqs: 256,
  maxBatchedTokens: 8192,
  jitter: 0.02,
};

/**
 * The same model on one A100 SXM 80 GB, scaled from the H100 profile by the spec sheets: 2.04 TB/s
 * (weights read in 7.9 ms, a token's KV in 0.064 µs) and 312 dense BF16 TFLOPS (0.13 ms per prefill
 * token at 40 %, 4.2 ns of attention per earlier token); the same memory, so the same KV capacity.
 * Not separately calibrated.
 */
export const LLAMA_3_1_8B_A100: EngineProfile = {
  name: "llama-3.1-8b-a100",
  source:
    "Llama-3.1-8B-Instruct BF16, vLLM V1 on 1× A100 SXM 80 GB; the H100 profile scaled by bandwidth and FLOPS",
  stepBaseMs: 9.5,
  decodeSeqMs: 0.008,
  kvReadMsPerToken: 0.000064,
  prefillTokenMs: 0.13,
  prefillAttentionMsPerToken: 0.0000042,
  kvCacheTokens: 400_000,
  maxNumSeqs: 256,
  maxBatchedTokens: 8192,
  jitter: 0.02,
};

export const ENGINE_PROFILE_NAMES = ["llama-3.1-8b-h100", "llama-3.1-8b-a100"] as const;
export type EngineProfileName = (typeof ENGINE_PROFILE_NAMES)[number];
export const DEFAULT_ENGINE_PROFILE: EngineProfileName = "llama-3.1-8b-h100";

export const ENGINE_PROFILES: Readonly<Record<EngineProfileName, EngineProfile>> = {
  "llama-3.1-8b-h100": LLAMA_3_1_8B_H100,
  "llama-3.1-8b-a100": LLAMA_3_1_8B_A100,
};

/** The work of one step, as the cost model counts it. */
export interface StepWork {
  /** Prompt tokens computed. */
  prefillTokens: number;
  /** Sum over those tokens of how many tokens precede each in its sequence. */
  prefillAttention: number;
  decodeSeqs: number;
  /** Sum over decoding sequences of their context length (prompt + generated). */
  decodeContext: number;
}

/** Step time (ms, before jitter). */
export function stepMs(profile: EngineProfile, work: StepWork): number {
  return (
    profile.stepBaseMs +
    work.decodeSeqs * profile.decodeSeqMs +
    work.decodeContext * profile.kvReadMsPerToken +
    work.prefillTokens * profile.prefillTokenMs +
    work.prefillAttention * profile.prefillAttentionMsPerToken
  );
}

/** Sum of the positions `from … from + count − 1`: a prefill chunk's attention work. */
export function attentionSpan(from: number, count: number): number {
  return (count * (2 * from + count - 1)) / 2;
}
