/**
 * What each client API costs in `bench:overhead` over the gateway's own chat pass-through: per phase
 * (the same payload, load and rate, chat against the flavour), and the verdicts against
 * docs/performance.md — through a bridge at most 0.5 ms added p50 and 0.5 ms added streaming time to
 * first byte at the protocol rate; piped natively, the same as chat within NATIVE_ADDED_MS.
 * Pure functions.
 * @module
 */
import type { LoadSummary } from "../src/bench/load.js";
import { type Align, formatMicros, formatMs, renderTable } from "./format.js";
import { FLAVOURS, type Flavour, isNative } from "./overhead-protocols.js";
import {
  judge,
  type LoadShape,
  type Payload,
  type PhaseFigures,
  type TargetReport,
  type Verdict,
} from "./overhead-report.js";

/**
 * An open-loop phase that answered less than this share of its rate fell behind: its latency is
 * queueing on a saturated host, so a difference against it is not judged.
 */
export const BEHIND_RATE = 0.95;

/** A bridge may add this much p50 latency, and this much streaming TTFB p50, over chat (ms). */
export const BRIDGE_ADDED_MS = 0.5;
/**
 * A native pipe should cost what chat pass-through costs; "the same" is this close (ms), about
 * what two identical phases differ by on a quiet host.
 */
export const NATIVE_ADDED_MS = 0.2;

/** The baseline gateway (the first variant that ran): protocols run there only. */
function baseline(reports: readonly TargetReport[]): TargetReport | undefined {
  return reports.find((report) => report.target === "gateway" && report.status === "ok");
}

function flavourOf(figures: PhaseFigures): Flavour {
  return figures.protocol ?? "chat";
}

/** The chat phase the flavour's phase is compared with: same payload, load and (open loop) rate. */
function chatTwin(report: TargetReport, figures: PhaseFigures): PhaseFigures | undefined {
  return report.phases.find(
    (other) =>
      flavourOf(other) === "chat" &&
      other.payload === figures.payload &&
      other.load === figures.load &&
      other.rate === figures.rate,
  );
}

function find(
  report: TargetReport | undefined,
  flavour: Flavour,
  payload: Payload,
  load: LoadShape,
  rate: number | undefined,
): PhaseFigures | undefined {
  return report?.phases.find(
    (figures) =>
      flavourOf(figures) === flavour &&
      figures.payload === payload &&
      figures.load === load &&
      (load === "closed" || figures.rate === rate),
  );
}

/** The non-chat flavours of the baseline gateway: those that ran and those whose probe failed. */
function flavoursIn(report: TargetReport | undefined): Flavour[] {
  if (!report) return [];
  const present = new Set<Flavour>([
    ...report.phases.map(flavourOf),
    ...(Object.keys(report.protocolErrors ?? {}) as Flavour[]),
  ]);
  return FLAVOURS.filter((flavour) => flavour !== "chat" && present.has(flavour));
}

/** The bound each flavour is judged against: none for `responses-store` (the store is extra work). */
function addedBound(flavour: Flavour): { max: number } | undefined {
  if (flavour === "responses-store") return undefined;
  return { max: isNative(flavour) ? NATIVE_ADDED_MS : BRIDGE_ADDED_MS };
}

/**
 * Per flavour: added p50 and p99 (JSON) and TTFB p50 (streaming) over chat at `protocolRate`,
 * judged; then closed-loop throughput and gateway CPU per request against chat, for reference.
 */
export function computeProtocolVerdicts(reports: readonly TargetReport[], protocolRate: number): Verdict[] {
  const report = baseline(reports);
  return flavoursIn(report).flatMap((flavour) => flavourVerdicts(report, flavour, protocolRate));
}

function flavourVerdicts(
  report: TargetReport | undefined,
  flavour: Flavour,
  protocolRate: number,
): Verdict[] {
  const pair = (payload: Payload, load: LoadShape) => {
    const rate = load === "open" ? protocolRate : undefined;
    return [find(report, "chat", payload, load, rate), find(report, flavour, payload, load, rate)] as const;
  };
  const bound = addedBound(flavour);
  const where = `open loop ${protocolRate}/s`;
  /** Added over chat, open loop; judged against the flavour's bound when `judged`. */
  const added = (
    what: string,
    payload: Payload,
    pick: (summary: LoadSummary) => number,
    judged: boolean,
  ): Verdict => {
    const [chat, over] = pair(payload, "open");
    const verdict = judge({
      label: `added ${what} ${flavour} over chat, ${payload}, ${where}`,
      value: chat && over ? pick(over.summary) - pick(chat.summary) : undefined,
      unit: "ms",
      ...(judged && bound ? { target: bound } : {}),
    });
    // A latency difference between phases that could not keep up with their rate measures the host.
    const behind = [chat, over].some(
      (figures) => figures && figures.summary.throughput < BEHIND_RATE * protocolRate,
    );
    if (!verdict.target || verdict.value === undefined || !behind) return verdict;
    return { ...verdict, met: undefined, unjudged: `not judged: behind ${protocolRate}/s` };
  };
  const [chatClosed, overClosed] = pair("json", "closed");
  const chatCpu = chatClosed?.targetCpuMsPerRequest;
  const overCpu = overClosed?.targetCpuMsPerRequest;
  return [
    added("p50", "json", (s) => s.latency.p50, true),
    added("p99", "json", (s) => s.latency.p99, false),
    added("TTFB p50", "stream", (s) => s.ttfb.p50, true),
    {
      label: `reference: throughput ${flavour} ÷ chat, json, closed loop`,
      value:
        chatClosed && overClosed ? overClosed.summary.throughput / chatClosed.summary.throughput : undefined,
      unit: "ratio",
    },
    {
      label: `reference: gateway CPU per request chat ÷ ${flavour}, json, closed loop`,
      value: chatCpu === undefined || !overCpu ? undefined : chatCpu / overCpu,
      unit: "ratio",
    },
  ];
}

/**
 * The verdict in a line per kind: bridged flavours against BRIDGE_ADDED_MS, native ones against
 * NATIVE_ADDED_MS; met only when each judged figure of each flavour of that kind was measured and met.
 */
export function renderProtocolVerdictLines(reports: readonly TargetReport[], protocolRate: number): string[] {
  const report = baseline(reports);
  const judged = flavoursIn(report)
    .filter((flavour) => addedBound(flavour) !== undefined)
    .map((flavour) => ({
      flavour,
      verdicts: flavourVerdicts(report, flavour, protocolRate).filter((verdict) => verdict.target),
    }));
  const kinds = [
    { native: false, what: `bridge: added p50 and TTFB p50 ≤ ${BRIDGE_ADDED_MS} ms over chat pass-through` },
    { native: true, what: `native pass-through ≈ chat pass-through (within ${NATIVE_ADDED_MS} ms)` },
  ];
  const lines: string[] = [];
  for (const { native, what } of kinds) {
    const group = judged.filter((entry) => isNative(entry.flavour) === native);
    if (group.length === 0) continue;
    const parts = group.map(({ flavour, verdicts }) => {
      const [p50, ttfb] = verdicts.map((v) => (v.value === undefined ? "n/a" : `${signedMs(v.value)} ms`));
      const shown = `p50 ${p50}, TTFB p50 ${ttfb}`;
      const state = verdicts.some((v) => v.met === false)
        ? "MISSED"
        : verdicts.every((v) => v.met === true)
          ? "met"
          : verdicts.some((v) => v.unjudged)
            ? "not judged (open loop behind its rate: the host is saturated)"
            : "not measured";
      return `${flavour} ${state} (${shown})`;
    });
    lines.push(`${what} at ${protocolRate}/s — ${parts.join("; ")}`);
  }
  return lines;
}

function signedMs(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "-";
  return `${value >= 0 ? "+" : ""}${formatMs(value)}`;
}

function signedMicros(value: number | undefined): string {
  const text = formatMicros(value);
  return value === undefined || value < 0 ? text : `+${text}`;
}

/**
 * One row per phase of a non-chat flavour on the baseline gateway: what it added over the chat phase
 * with the same payload, load and rate. Empty when no such phase ran.
 */
export function renderProtocolCosts(reports: readonly TargetReport[]): string {
  const report = baseline(reports);
  if (!report) return "";
  const rows: string[][] = [];
  for (const figures of report.phases) {
    if (flavourOf(figures) === "chat") continue;
    const chat = chatTwin(report, figures);
    if (!chat) continue;
    const [o, c] = [figures.summary, chat.summary];
    const streaming = figures.payload === "stream";
    const cpu =
      figures.targetCpuMsPerRequest === undefined || chat.targetCpuMsPerRequest === undefined
        ? undefined
        : figures.targetCpuMsPerRequest - chat.targetCpuMsPerRequest;
    rows.push([
      flavourOf(figures),
      figures.payload,
      figures.loadLabel,
      c.throughput > 0 ? (o.throughput / c.throughput).toFixed(2) : "-",
      signedMs(o.latency.p50 - c.latency.p50),
      signedMs(o.latency.p99 - c.latency.p99),
      streaming ? signedMs(o.ttfb.p50 - c.ttfb.p50) : "-",
      streaming ? signedMs(o.ttfb.p99 - c.ttfb.p99) : "-",
      signedMicros(cpu),
    ]);
  }
  if (rows.length === 0) return "";
  const header = [
    "protocol",
    "payload",
    "load",
    "req/s ÷ chat",
    "+p50 ms",
    "+p99 ms",
    "+TTFB p50",
    "+TTFB p99",
    "+µs CPU/req",
  ];
  const align: Align[] = ["left", "left", "left", ...Array<Align>(header.length - 3).fill("right")];
  return [
    `${report.label ?? report.target}: each protocol over the gateway's own chat phase (same payload, load and rate)`,
    renderTable(header, rows, align),
  ].join("\n");
}
