/**
 * A one-line chart of recent values in block characters (▁▂▃▄▅▆▇█), scaled from 0 to the largest value
 * shown, so a throughput drop is visible at a glance in a terminal pane.
 * @module
 */

const BLOCKS = "▁▂▃▄▅▆▇█";

/** The last `width` values as blocks; empty input gives an empty string, all zeros a flat line. */
export function sparkline(values: readonly number[], width: number): string {
  const shown = values.slice(Math.max(0, values.length - Math.max(0, width)));
  const max = Math.max(0, ...shown);
  return shown
    .map((value) => {
      if (!(max > 0) || !(value > 0)) return BLOCKS[0];
      return BLOCKS[Math.min(BLOCKS.length - 1, Math.round((value / max) * (BLOCKS.length - 1)))];
    })
    .join("");
}
