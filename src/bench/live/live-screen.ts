/**
 * The live view's whole screen: a status line (phase, elapsed time, requests in flight, how to stop)
 * over one pane per model, side by side.
 * @module
 */
import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import type { LiveState } from "./live-figures.js";
import { ModelPane } from "./model-pane.js";

export interface LiveScreenProps {
  state: LiveState;
  /** Terminal width, to size the sparklines. */
  columns: number;
}

const PHASES: Record<LiveState["phase"], string> = {
  starting: "starting",
  warmup: "warming up",
  measure: "measuring",
  drain: "draining",
  done: "done",
};

/** Pane border (2), padding (2) and the "tok/s " label (6) come off each pane's share of the width. */
export function sparkWidthFor(columns: number, panes: number): number {
  return Math.max(8, Math.floor(columns / Math.max(1, panes)) - 10);
}

export function LiveScreen({ state, columns }: LiveScreenProps): ReactElement {
  const phase = state.stopping && state.phase !== "done" ? "stopping" : PHASES[state.phase];
  const sparkWidth = sparkWidthFor(columns, state.models.length);
  return h(
    Box,
    { flexDirection: "column" },
    h(
      Text,
      null,
      h(Text, { bold: true }, "switchyard bench"),
      `  ${phase}  ${state.elapsedS.toFixed(0)}s / ${state.durationS}s  in flight ${state.inflight}`,
      state.phase === "done" ? "" : h(Text, { dimColor: true }, "  Ctrl-C: stop and report"),
    ),
    h(
      Box,
      { flexDirection: "row" },
      ...state.models.map((figures) => h(ModelPane, { key: figures.model, figures, sparkWidth })),
    ),
  );
}
