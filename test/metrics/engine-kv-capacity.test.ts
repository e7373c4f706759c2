import { describe, expect, it } from "vitest";
import { engineKvCapacityTokens } from "../../src/metrics/engine-kv-capacity.js";

/** As a vLLM 0.10 engine prints it (CacheConfig fields as labels, in its order), trimmed to the parts around. */
const VLLM_METRICS = [
  "# HELP vllm:num_requests_running Number of requests in model execution batches.",
  "# TYPE vllm:num_requests_running gauge",
  'vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-8B"} 0.0',
  "# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig",
  "# TYPE vllm:cache_config_info gauge",
  'vllm:cache_config_info{block_size="16",cache_dtype="auto",calculate_kv_scales="False",cpu_offload_gb="0",enable_prefix_caching="True",engine="0",gpu_memory_utilization="0.9",is_attention_free="False",num_cpu_blocks="None",num_gpu_blocks="27306",num_gpu_blocks_override="None",prefix_caching_hash_algo="builtin",sliding_window="None",swap_space="4",swap_space_bytes="4294967296"} 1.0',
  "# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.",
  "# TYPE vllm:kv_cache_usage_perc gauge",
  'vllm:kv_cache_usage_perc{engine="0",model_name="Qwen/Qwen3-8B"} 0.0',
].join("\n");

/** SGLang's gauges carry the model and the scheduler's ranks. */
const SGLANG_METRICS = [
  "# HELP sglang:max_total_num_tokens Maximum total number of tokens",
  "# TYPE sglang:max_total_num_tokens gauge",
  'sglang:max_total_num_tokens{engine_type="unified",model_name="meta-llama/Llama-3.1-8B-Instruct",pp_rank="0",tp_rank="0"} 471258.0',
  'sglang:max_total_num_tokens{engine_type="unified",model_name="meta-llama/Llama-3.1-8B-Instruct",pp_rank="0",tp_rank="1"} 471258.0',
  "# HELP sglang:num_running_reqs The number of running requests.",
  "# TYPE sglang:num_running_reqs gauge",
  'sglang:num_running_reqs{engine_type="unified",model_name="meta-llama/Llama-3.1-8B-Instruct",pp_rank="0",tp_rank="0"} 3.0',
].join("\n");

describe("engineKvCapacityTokens", () => {
  it("reads vLLM's num_gpu_blocks × block_size from cache_config_info", () => {
    expect(engineKvCapacityTokens(VLLM_METRICS)).toBe(27306 * 16);
  });

  it("adds up the caches of a data-parallel vLLM's engine cores", () => {
    const second = VLLM_METRICS.split("\n")
      .find((line) => line.startsWith("vllm:cache_config_info{"))!
      .replace('engine="0"', 'engine="1"');
    expect(engineKvCapacityTokens(`${VLLM_METRICS}\n${second}`)).toBe(2 * 27306 * 16);
  });

  it("knows nothing before vLLM has sized its cache (num_gpu_blocks None)", () => {
    expect(
      engineKvCapacityTokens(VLLM_METRICS.replace('num_gpu_blocks="27306"', 'num_gpu_blocks="None"')),
    ).toBe(undefined);
  });

  it("reads SGLang's max_total_num_tokens once per pool, not once per tensor-parallel rank", () => {
    expect(engineKvCapacityTokens(SGLANG_METRICS)).toBe(471258);
  });

  it("reads the older SGLang form, without ranks", () => {
    expect(
      engineKvCapacityTokens('sglang:max_total_num_tokens{name="google/gemma-2-9b-it"} 161721.0\n'),
    ).toBe(161721);
  });

  it("is undefined for engines that state no capacity", () => {
    expect(engineKvCapacityTokens("llamacpp:requests_processing 1\n")).toBeUndefined();
    expect(engineKvCapacityTokens("")).toBeUndefined();
  });
});
