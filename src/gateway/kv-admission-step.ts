/**
 * The pipeline's KV admission step (`kv_admission`): after the strategy picks a backend whose KV
 * capacity is configured or stated by the engine itself (vLLM's `cache_config_info`, SGLang's
 * `max_total_num_tokens`, read by engine-load scraping), the request waits in that backend's gate
 * (routing/kv-gate.ts) until the engine's working set has room, and releases it when its attempt
 * settles. Backends whose capacity is not known (yet), and every backend while `kv_admission` is
 * off, are let through at once.
 * @module
 */
import type { GatewayConfig } from "../config/schema.js";
import { CHARS_PER_TOKEN } from "../protocol/anthropic/token-estimate.js";
import type { BackendView } from "../routing/backend.js";
import type { AbortSource } from "../routing/capacity-queue.js";
import type { KvEntry, KvGateSettings } from "../routing/kv-gate.js";
import type { RoutingRequest } from "../routing/strategies/strategy.js";
import { requestedMaxTokens } from "./budget-admission.js";
import type { GatewayContext } from "./context.js";

/**
 * Decode counted for a request that sets no output limit, or a higher one: a typical agent turn's
 * answer (tool call or short reply). Agent clients ask for tens of thousands of tokens per turn
 * (`max_tokens` 32k) and use a few hundred; counting the limit would let one or two turns fill an
 * engine's working set and hold back everything else.
 */
export const DEFAULT_KV_OUTPUT_TOKENS = 512;

/** The decode tokens a request's turn is counted for: its `max_tokens` when lower than the default. */
export function kvDecodeTokens(body: unknown): number {
  return Math.min(requestedMaxTokens(body) ?? DEFAULT_KV_OUTPUT_TOKENS, DEFAULT_KV_OUTPUT_TOKENS);
}

/**
 * The longest hold learned from sessions' return gaps (routing/return-gaps.ts); `kv_admission_hold`
 * is the shortest. Past this a session's history is not worth keeping others waiting for.
 */
export const KV_HOLD_CEILING_S = 30;

type KvSettings = Pick<
  GatewayConfig,
  "prefix_block_chars" | "queue_size" | "kv_admission_hold" | "kv_admission_wait"
>;

export function kvGateSettings(config: KvSettings): KvGateSettings {
  return {
    // The same blocks prefix_aware hashes, so a prompt is hashed once for both.
    blockTokens: Math.max(1, config.prefix_block_chars / CHARS_PER_TOKEN),
    holdMs: config.kv_admission_hold * 1000,
    holdCeilingMs: Math.max(config.kv_admission_hold, KV_HOLD_CEILING_S) * 1000,
    waitBoundMs: config.kv_admission_wait * 1000,
    maxQueue: config.queue_size,
  };
}

/**
 * The backend's KV capacity in tokens, by name, then host:port, then the default, then what the
 * engine states at /metrics (learned by engine-load scraping); 0: not known yet, not gated.
 */
export function kvCapacityFor(
  config: Pick<GatewayConfig, "kv_cache_tokens" | "kv_cache_tokens_map">,
  backend: Pick<BackendView, "id" | "url"> & { readonly engineKvTokens?: number | undefined },
): number {
  const map = config.kv_cache_tokens_map;
  // Own keys only: a backend named "constructor" must not find Object.prototype's.
  if (Object.hasOwn(map, backend.id)) return map[backend.id]!;
  const host = new URL(backend.url).host;
  if (Object.hasOwn(map, host)) return map[host]!;
  if (config.kv_cache_tokens > 0) return config.kv_cache_tokens;
  return backend.engineKvTokens ?? 0;
}

const ADMITTED_AT_ONCE: KvEntry = { kind: "admitted", release: () => {} };

/**
 * Waits for room at `backend`, at most `timeoutMs`. A request without a session key is its own
 * session: its hold then only keeps its prompt counted for the hold window.
 */
export function enterKvGate(
  ctx: GatewayContext,
  backend: Parameters<typeof kvCapacityFor>[1] & { gated: number },
  request: { readonly id: string; readonly body: unknown },
  routing: RoutingRequest,
  timeoutMs: number,
  signal: AbortSource,
): KvEntry | Promise<KvEntry> {
  const { config } = ctx;
  if (!config.kv_admission) return ADMITTED_AT_ONCE;
  const capacity = kvCapacityFor(config, backend);
  if (capacity <= 0) return ADMITTED_AT_ONCE;
  const turn = {
    session: routing.sessionKey ?? `request:${request.id}`,
    blockHashes: routing.promptBlocks?.(config.prefix_block_chars) ?? [],
    outputTokens: kvDecodeTokens(request.body),
  };
  // Counted in the backend's load while it waits, so the strategy does not pile more onto a gate
  // whose engine is full (routing-sim: leaving them out cost ~5 % throughput and 1.5× TTFT p99).
  backend.gated++;
  return ctx.kvGates.enter(backend.id, capacity, turn, timeoutMs, signal).finally(() => {
    backend.gated--;
  });
}
