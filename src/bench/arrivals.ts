/**
 * Open-loop arrival schedules: the gap before each next arrival, fixed at 1/rate (constant) or drawn
 * from an exponential distribution of that mean (a Poisson process, what independent users produce).
 * @module
 */

/** A function returning successive inter-arrival gaps in ms. */
export function arrivalGaps(
  rate: number,
  arrivals: "constant" | "poisson",
  random: () => number,
): () => number {
  if (arrivals === "poisson") return () => (-Math.log(1 - random()) / rate) * 1000;
  const gap = 1000 / rate;
  return () => gap;
}
