/**
 * The shape of `report.json`: the run's parameters, where it ran, and every figure overall, per model
 * and per backend, with the data behind each chart. `--compare` reads two of these back, so fields are
 * only ever added; `schema` changes if one must change meaning.
 * @module
 */
import type { PrefixCacheFigures } from "../engine-metrics.js";
import type { BinnedDistribution, CdfPoint } from "../stats/chart-data.js";
import type { GroupSummary } from "../stats/group-stats.js";
import type { TimelineBucket } from "../stats/timeline.js";

export const REPORT_SCHEMA = "switchyard-bench/1";

/** The run's parameters, as given or defaulted (never the API key). */
export interface BenchParameters {
  url: string;
  protocol: string;
  models: { model: string; share: number }[];
  stream: boolean;
  mode: "closed" | "open";
  /** Closed loop: workers. Open loop: the most requests in flight before arrivals count as overload. */
  concurrency: number;
  /** Open loop only: arrivals per second, and their law. */
  rate?: number;
  arrivals?: "constant" | "poisson";
  durationS: number;
  requests?: number;
  warmupS: number;
  /** Length distributions as written on the command line (`128`, `64-256`). */
  promptTokens: string;
  outputTokens: string;
  maxTokens: number;
  promptsFile?: string;
  /** The shaped workload (`agent-sessions`, `chat`, `hot-prefix`); absent for the synthetic one. */
  workload?: string;
  /** Agent sessions open at once. */
  sessions?: number;
  slo: { ttftMs?: number; latencyMs?: number };
  timeoutS: number;
  seed: number;
  configFile?: string;
}

export interface BenchEnvironment {
  switchyard: string;
  node: string;
  platform: string;
  arch: string;
  osRelease: string;
  cpuModel: string;
  cpuCount: number;
  memoryBytes: number;
  hostname: string;
}

/** The data each chart of the HTML report is drawn from. */
export interface GroupCharts {
  latencyCdf: CdfPoint[];
  ttftCdf: CdfPoint[];
  ttftHistogram: BinnedDistribution;
  timeline: TimelineBucket[];
}

export interface ModelReport extends GroupSummary {
  model: string;
  share: number;
  /** Requests per backend (from `x-routed-node`). */
  backends: Record<string, number>;
  charts: GroupCharts;
}

export interface BackendReport extends GroupSummary {
  backend: string;
}

export interface BenchReport {
  schema: typeof REPORT_SCHEMA;
  startedAt: string;
  finishedAt: string;
  /** True when Ctrl-C (or a signal) ended the run before its duration or request count. */
  interrupted: boolean;
  /** Length of the measured window (warm-up excluded) in seconds. */
  durationS: number;
  parameters: BenchParameters;
  environment: BenchEnvironment;
  overall: GroupSummary & { charts: GroupCharts };
  models: ModelReport[];
  backends: BackendReport[];
  /** The engines' prefix-cache hits over the run, when their `/metrics` export vLLM's counters. */
  prefixCache?: PrefixCacheFigures;
}
