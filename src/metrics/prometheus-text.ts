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

/** One sample of a metric: its labels (unescaped) and its value. */
export interface LabelledSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * Every sample of the metric `name`, labels included, for the metrics whose meaning is in their
 * labels (vLLM's info gauges). Lines that do not parse are skipped, as in `sumByMetric`.
 */
export function samplesOf(text: string, name: string): LabelledSample[] {
  const samples: LabelledSample[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const next = line.charAt(name.length);
    if (next !== "{" && next !== " " && next !== "\t") continue;
    const parsed =
      next === "{" ? readLabels(line, name.length + 1) : { labels: noLabels(), end: name.length };
    if (parsed === undefined) continue;
    const value = Number.parseFloat(line.slice(parsed.end).trim().split(/\s+/)[0] ?? "");
    if (Number.isFinite(value)) samples.push({ labels: parsed.labels, value });
  }
  return samples;
}

const LABEL = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|\})/y;

/** The labels from just after `{` to the closing `}`; undefined when they do not parse. */
function readLabels(
  line: string,
  start: number,
): { labels: Record<string, string>; end: number } | undefined {
  const labels = noLabels();
  let at = start;
  if (/^\s*\}/.test(line.slice(at))) return { labels, end: line.indexOf("}", at) + 1 };
  for (;;) {
    LABEL.lastIndex = at;
    const match = LABEL.exec(line);
    if (match === null) return undefined;
    labels[match[1]!] = unescapeLabel(match[2]!);
    at = LABEL.lastIndex;
    if (match[3] === "}") return { labels, end: at };
    // A trailing comma before the brace is allowed by the exposition format.
    const close = /^\s*\}/.exec(line.slice(at));
    if (close !== null) return { labels, end: at + close[0].length };
  }
}

/** No prototype: a label named like an Object method reads as absent unless the engine sent it. */
function noLabels(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_, char: string) => (char === "n" ? "\n" : char));
}
