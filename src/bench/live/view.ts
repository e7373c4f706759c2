/**
 * The live view contract: the runner pushes a `LiveState` every tick and the final one at the end.
 * Two implementations: the ink panes (`ink-view.ts`, TTY only) and plain lines (`plain-view.ts`).
 * @module
 */
import type { LiveState } from "./live-figures.js";

export interface LiveView {
  /** How often the runner should push a new state, in ms. */
  readonly intervalMs: number;
  update(state: LiveState): void;
  /** Shows the final state and releases the terminal; resolves once the view is gone. */
  stop(final: LiveState): Promise<void>;
}
