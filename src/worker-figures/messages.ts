/**
 * The wire format of the `--workers` figures exchange: how the worker that answers `/stats`,
 * `/status` or `/metrics` gets every worker's own figures through the primary (relay.ts in
 * the primary, client.ts in each worker). Every message is tagged `switchyard:figures`, so
 * it never mixes with the shared-state messages or the cluster's own on the same channel:
 * - `join` (worker → primary): this worker answers figure requests from now on;
 * - `gather` (worker → primary): send me every worker's figures of this kind;
 * - `report-request` (primary → each joined worker) and its `report` (the worker's figures);
 * - `gathered` (primary → the asking worker): the reports, and the workers that did not answer in time.
 * @module
 */

export const FIGURES_TAG = "switchyard:figures";

/** The endpoint whose figures are gathered: each worker reports that endpoint's local answer. */
export type FiguresKind = "stats" | "status" | "metrics";

/** Names a worker to people: its slot (1…N, kept by its replacements) and its process id. */
export interface WorkerName {
  readonly worker: number;
  readonly pid: number;
}

/** One worker's figures of one kind, with the totals that show how requests spread across workers. */
export interface WorkerReport extends WorkerName {
  /** Requests this worker sent to backends since it started. */
  readonly requests: number;
  /** Requests this worker has in flight to backends now. */
  readonly inflight: number;
  /** The endpoint's answer as this worker alone would give it (`/metrics`: its metrics as JSON). */
  readonly figures: unknown;
}

/** What the worker that asked receives: every report that arrived before the deadline. */
export interface Gathered {
  /** In slot order. */
  readonly reports: readonly WorkerReport[];
  /** Workers that did not answer before the deadline, so their figures are missing. */
  readonly unanswered: readonly WorkerName[];
  readonly deadlineMs: number;
}

/** What a worker sends about itself; the primary names it (it knows each channel's worker). */
export type LocalReport = Omit<WorkerReport, "worker" | "pid">;

export type FiguresMessage =
  | { readonly tag: typeof FIGURES_TAG; readonly kind: "join"; readonly worker: number }
  | {
      readonly tag: typeof FIGURES_TAG;
      readonly kind: "gather";
      readonly id: number;
      readonly of: FiguresKind;
    }
  | {
      readonly tag: typeof FIGURES_TAG;
      readonly kind: "report-request";
      readonly id: number;
      readonly of: FiguresKind;
    }
  | {
      readonly tag: typeof FIGURES_TAG;
      readonly kind: "report";
      readonly id: number;
      readonly report: LocalReport;
    }
  | {
      readonly tag: typeof FIGURES_TAG;
      readonly kind: "gathered";
      readonly id: number;
      readonly gathered: Gathered;
    };

const KINDS: ReadonlySet<string> = new Set<FiguresKind>(["stats", "status", "metrics"]);

/** The message as one of ours, or undefined for anything else on the channel. */
export function asFiguresMessage(message: unknown): FiguresMessage | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const fields = message as Record<string, unknown>;
  if (fields.tag !== FIGURES_TAG) return undefined;
  switch (fields.kind) {
    case "join":
      return typeof fields.worker === "number" ? (message as FiguresMessage) : undefined;
    case "gather":
    case "report-request":
      return typeof fields.id === "number" && typeof fields.of === "string" && KINDS.has(fields.of)
        ? (message as FiguresMessage)
        : undefined;
    case "report":
      return typeof fields.id === "number" && typeof fields.report === "object" && fields.report !== null
        ? (message as FiguresMessage)
        : undefined;
    case "gathered":
      return typeof fields.id === "number" && typeof fields.gathered === "object" && fields.gathered !== null
        ? (message as FiguresMessage)
        : undefined;
    default:
      return undefined;
  }
}
