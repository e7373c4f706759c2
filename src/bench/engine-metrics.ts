/**
 * The engines' prefix-cache hit rate over a run, read from their Prometheus `/metrics` the way vLLM
 * exports it: `vllm:prefix_cache_queries_total` (prompt tokens looked up) and
 * `vllm:prefix_cache_hits_total` (those found cached), summed over every label set. The bench reads
 * them before and after its window; the hit rate is hits ÷ queries of the difference, so what the
 * engines did before the run does not count. An engine that exposes neither counter (or does not
 * answer) is left out, and with none left the report has no hit rate.
 * @module
 */

export const PREFIX_CACHE_QUERIES = "vllm:prefix_cache_queries_total";
export const PREFIX_CACHE_HITS = "vllm:prefix_cache_hits_total";

const SCRAPE_TIMEOUT_MS = 2_000;

/** One engine's counters at one moment, in tokens. */
export interface PrefixCacheCounters {
  queries: number;
  hits: number;
}

/** What the report says: the counters' growth over the run, summed over the engines that had them. */
export interface PrefixCacheFigures {
  /** Engines whose counters were read both times. */
  engines: number;
  queries: number;
  hits: number;
  /** hits ÷ queries; 0 when nothing was looked up. */
  hitRate: number;
}

/** The sum of every sample of `name` in Prometheus text exposition, or undefined when it has none. */
export function sumSamples(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== "{" && rest[0] !== " ") continue;
    const close = rest[0] === "{" ? rest.lastIndexOf("}") : 0;
    const value = Number.parseFloat(
      rest
        .slice(close + 1)
        .trim()
        .split(/\s+/)[0] ?? "",
    );
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** The prefix-cache counters in one `/metrics` text, or undefined when it lacks either. */
export function prefixCacheCounters(text: string): PrefixCacheCounters | undefined {
  const queries = sumSamples(text, PREFIX_CACHE_QUERIES);
  const hits = sumSamples(text, PREFIX_CACHE_HITS);
  return queries === undefined || hits === undefined ? undefined : { queries, hits };
}

async function scrape(url: string): Promise<PrefixCacheCounters | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    if (!response.ok) return undefined;
    return prefixCacheCounters(await response.text());
  } catch {
    return undefined;
  }
}

/** Each URL's counters now (undefined where none could be read), in the order given. */
export function readPrefixCaches(urls: readonly string[]): Promise<(PrefixCacheCounters | undefined)[]> {
  return Promise.all(urls.map(scrape));
}

/** The growth between two readings of the same URLs; undefined when no engine was read both times. */
export function prefixCacheGrowth(
  before: readonly (PrefixCacheCounters | undefined)[],
  after: readonly (PrefixCacheCounters | undefined)[],
): PrefixCacheFigures | undefined {
  let engines = 0;
  let queries = 0;
  let hits = 0;
  before.forEach((start, i) => {
    const end = after[i];
    if (!start || !end) return;
    engines++;
    queries += Math.max(0, end.queries - start.queries);
    hits += Math.max(0, end.hits - start.hits);
  });
  if (engines === 0) return undefined;
  return { engines, queries, hits, hitRate: queries > 0 ? hits / queries : 0 };
}
