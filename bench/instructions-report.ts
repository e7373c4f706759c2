/**
 * The figures of `npm run bench:instructions` and their table: instructions per request of each
 * phase, and the proxy's count over the gateway's, the throughput ratio a CPU-bound gateway would
 * reach against the proxy. Pure functions.
 * @module
 */
import type { AnnotatedFunction } from "./callgrind.js";
import { renderTable } from "./format.js";
import type { InstructionPayload, InstructionTarget } from "./instructions-options.js";
import type { Flavour } from "./overhead-protocols.js";

/** One phase: a target, protocol and payload, warmed up, then counted in one or more rounds. */
export interface InstructionPhase {
  target: InstructionTarget;
  protocol: Flavour;
  payload: InstructionPayload;
  /** Instructions per answered request of each counted round. */
  rounds: number[];
  /** Requests answered with an error over all rounds (they are in the count, so the phase is suspect). */
  errors: number;
  /** The dump of each round, when kept (--keep). */
  dumps?: string[];
  /** The gateway's top functions of the median round, inclusive and by self cost, per request (`--annotate`). */
  top?: { inclusive: AnnotatedFunction[]; self: AnnotatedFunction[] };
  /** Self instructions per request by part, of the median round (`--annotate`; instructions-breakdown.ts). */
  parts?: Record<string, number>;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The rounds' spread: (max − min) ÷ median; 0 for one round. */
export function spread(values: readonly number[]): number {
  return values.length < 2 ? 0 : (Math.max(...values) - Math.min(...values)) / median(values);
}

/** proxy ÷ gateway for one payload (chat on both), or undefined when either was not counted. */
export function proxyRatio(
  phases: readonly InstructionPhase[],
  payload: InstructionPayload,
): number | undefined {
  const find = (target: InstructionTarget) =>
    phases.find((phase) => phase.target === target && phase.payload === payload && phase.protocol === "chat");
  const proxy = find("proxy");
  const gateway = find("gateway");
  return proxy && gateway ? median(proxy.rounds) / median(gateway.rounds) : undefined;
}

/** Thousands of instructions, no decimals: `243k`. */
function thousands(value: number): string {
  return `${Math.round(value / 1000).toLocaleString("en-US")}k`;
}

/** Each phase's instructions per request, against the proxy (chat) and the gateway's chat phase. */
export function renderInstructionTable(phases: readonly InstructionPhase[]): string {
  const chatOf = (target: InstructionTarget, payload: InstructionPayload) =>
    phases.find((phase) => phase.target === target && phase.payload === payload && phase.protocol === "chat");
  const rows = phases.map((phase) => {
    const count = median(phase.rounds);
    const proxy = chatOf("proxy", phase.payload);
    const chat = chatOf("gateway", phase.payload);
    const versusProxy = proxy && phase.target === "gateway" ? (median(proxy.rounds) / count).toFixed(2) : "";
    const versusChat =
      chat && phase.target === "gateway" && phase.protocol !== "chat"
        ? (count / median(chat.rounds)).toFixed(2)
        : "";
    return [
      phase.target,
      phase.protocol,
      phase.payload,
      thousands(count),
      phase.rounds.length > 1 ? `${(spread(phase.rounds) * 100).toFixed(1)}%` : "",
      versusProxy,
      versusChat,
      phase.errors > 0 ? String(phase.errors) : "",
    ];
  });
  return renderTable(
    ["target", "protocol", "payload", "instr/req", "spread", "proxy ÷ this", "this ÷ chat", "errors"],
    rows,
    ["left", "left", "left", "right", "right", "right", "right", "right"],
  );
}
