/**
 * Length distributions for prompts and outputs, in tokens: a fixed value (`128`) or a uniform range
 * (`64-256`, both ends included), sampled with the run's seeded random source.
 * @module
 */

export type LengthDistribution =
  | { kind: "fixed"; value: number }
  | { kind: "uniform"; min: number; max: number };

/** Parses `N` or `A-B` (whole numbers ≥ 1, A ≤ B); throws a readable error otherwise. */
export function parseLength(text: string): LengthDistribution {
  const trimmed = text.trim();
  const range = /^(\d+)\s*[-:]\s*(\d+)$/.exec(trimmed);
  if (range) {
    const min = Number(range[1]);
    const max = Number(range[2]);
    if (min < 1 || max < min) throw new RangeError(`expected A-B with 1 ≤ A ≤ B, got "${text}"`);
    return min === max ? { kind: "fixed", value: min } : { kind: "uniform", min, max };
  }
  if (/^\d+$/.test(trimmed) && Number(trimmed) >= 1) return { kind: "fixed", value: Number(trimmed) };
  throw new RangeError(`expected a token count N or a range A-B, got "${text}"`);
}

/** One draw from the distribution; `random` returns floats in [0, 1). */
export function sampleLength(distribution: LengthDistribution, random: () => number): number {
  if (distribution.kind === "fixed") return distribution.value;
  const span = distribution.max - distribution.min + 1;
  return distribution.min + Math.min(span - 1, Math.floor(random() * span));
}

/** How the distribution is written on the command line and in reports. */
export function formatLength(distribution: LengthDistribution): string {
  return distribution.kind === "fixed"
    ? String(distribution.value)
    : `${distribution.min}-${distribution.max}`;
}

/** The distribution's mean, for summaries. */
export function meanLength(distribution: LengthDistribution): number {
  return distribution.kind === "fixed" ? distribution.value : (distribution.min + distribution.max) / 2;
}
