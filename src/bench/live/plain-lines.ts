/**
 * `--no-tui` / `--no-curses` (and any non-TTY stdout): one line per model every interval, readable in
 * a log or a CI transcript, with the same figures as the live panes.
 * @module
 */
import { formatCount, formatMs, formatRate } from "../format.js";
import type { LiveState, ModelFigures, Percentiles } from "./live-figures.js";

function triple(values: Percentiles): string {
  return `${formatMs(values.p50)}/${formatMs(values.p90)}/${formatMs(values.p99)}`;
}

export function formatModelLine(elapsedS: number, figures: ModelFigures): string {
  const errors =
    figures.errors.length === 0
      ? "none"
      : figures.errors.map((error) => `${error.label}=${error.count}`).join(" ");
  return (
    `[${elapsedS.toFixed(0).padStart(4)}s] ${figures.model}: ${figures.done} ok, ${figures.failed} failed, ` +
    `${formatRate(figures.ratePerS)} req/s, ${formatCount(figures.outputTokensPerS, 1)} tok/s | ` +
    `TTFT p50/p90/p99 ${triple(figures.ttftMs)} ms | latency ${triple(figures.latencyMs)} ms | ` +
    `ITL p50/p99 ${formatMs(figures.interTokenMs.p50)}/${formatMs(figures.interTokenMs.p99)} ms | errors: ${errors}`
  );
}

/** The lines for one tick: a line per model, prefixed during warm-up or drain. */
export function formatPlainLines(state: LiveState): string[] {
  const note = state.stopping
    ? " (stopping)"
    : state.phase === "warmup"
      ? " (warm-up)"
      : state.phase === "drain"
        ? " (drain)"
        : "";
  return state.models.map((figures) => formatModelLine(state.elapsedS, figures) + note);
}
