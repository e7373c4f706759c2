/**
 * An engine's KV cache capacity in tokens, as the engine states it at /metrics, so KV admission
 * (kv_admission) needs no `kv_cache_tokens` for engines that say it themselves:
 *
 * - vLLM: `vllm:cache_config_info`, an info gauge (value 1) whose labels are the engine's cache
 *   config (PrometheusStatLogger.log_metrics_info in vllm/v1/metrics/loggers.py, the labels from
 *   CacheConfig.metrics_info()); capacity = `num_gpu_blocks` × `block_size`. One sample per engine
 *   core (`engine` label, data parallel): each has a cache of its own, so they add up. Before the
 *   engine has profiled its memory `num_gpu_blocks` reads "None": not known yet.
 * - SGLang: `sglang:max_total_num_tokens`, the token pool's size (python/sglang/srt/metrics in
 *   sgl-project/sglang; docs/references/production_metrics.md). Tensor- and pipeline-parallel ranks
 *   of one pool may each export it: only rank 0's count (data-parallel ranks, with pools of their
 *   own, add up).
 * @module
 */
import { samplesOf } from "./prometheus-text.js";

export const VLLM_CACHE_CONFIG = "vllm:cache_config_info";
export const SGLANG_MAX_TOTAL_TOKENS = "sglang:max_total_num_tokens";

/** The KV capacity the metrics text states, in tokens; undefined when it states none. */
export function engineKvCapacityTokens(text: string): number | undefined {
  return vllmCapacity(text) ?? sglangCapacity(text);
}

function vllmCapacity(text: string): number | undefined {
  if (!text.includes(VLLM_CACHE_CONFIG)) return undefined;
  let total = 0;
  for (const { labels } of samplesOf(text, VLLM_CACHE_CONFIG)) {
    const blocks = positiveInteger(labels.num_gpu_blocks);
    const blockSize = positiveInteger(labels.block_size);
    if (blocks !== undefined && blockSize !== undefined) total += blocks * blockSize;
  }
  return total > 0 ? total : undefined;
}

function sglangCapacity(text: string): number | undefined {
  if (!text.includes(SGLANG_MAX_TOTAL_TOKENS)) return undefined;
  let total = 0;
  for (const { labels, value } of samplesOf(text, SGLANG_MAX_TOTAL_TOKENS)) {
    if (!isFirstRank(labels.tp_rank) || !isFirstRank(labels.pp_rank)) continue;
    if (Number.isFinite(value) && value > 0) total += Math.floor(value);
  }
  return total > 0 ? total : undefined;
}

function isFirstRank(rank: string | undefined): boolean {
  return rank === undefined || rank === "0";
}

function positiveInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value > 0 && Number.isSafeInteger(value) ? value : undefined;
}
