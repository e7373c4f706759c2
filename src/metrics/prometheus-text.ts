/**
 * Reads sample values out of Prometheus text (what engines such as vLLM, SGLang and llama.cpp
 * expose at /metrics). Only what load scraping needs: the sum of each metric's samples.
 * @module
 */

/** Sum of every sample of each metric, keyed by metric name; comments and bad lines are skipped. */
export function sumByMetric(text: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.length === 0 || line.charCodeAt(0) === 35 /* # */) continue;
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) continue;
    const name = line.slice(0, nameEnd);
    const valueStart = line.charAt(nameEnd) === "{" ? line.indexOf("}", nameEnd) + 1 : nameEnd;
    if (valueStart <= 0) continue;
    const value = Number.parseFloat(line.slice(valueStart).trim().split(/\s+/)[0] ?? "");
    if (!Number.isFinite(value)) continue;
    sums.set(name, (sums.get(name) ?? 0) + value);
  }
  return sums;
}
