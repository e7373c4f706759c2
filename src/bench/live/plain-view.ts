/**
 * The plain view: prints `formatPlainLines` every interval to a stream, and nothing at the end (the
 * runner prints the summary table then).
 * @module
 */

import type { LiveState } from "./live-figures.js";
import { formatPlainLines } from "./plain-lines.js";
import type { LiveView } from "./view.js";

export class PlainView implements LiveView {
  readonly intervalMs: number;
  readonly #out: NodeJS.WritableStream;

  constructor(out: NodeJS.WritableStream, intervalMs: number) {
    this.#out = out;
    this.intervalMs = intervalMs;
  }

  update(state: LiveState): void {
    if (state.phase === "starting") return;
    const lines = formatPlainLines(state);
    if (lines.length > 0) this.#out.write(`${lines.join("\n")}\n`);
  }

  async stop(): Promise<void> {}
}
