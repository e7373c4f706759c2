/**
 * `bench:overhead --long-prompt`: what cache-aware routing costs on the prompts it is for. The
 * baseline gateway also runs two open-loop phases at `--rate` with a Claude-Code-shaped chat request
 * (a 12k-character system prompt, 20 tools and 40 messages: about 100 kB of JSON), one routed by
 * round robin and one by `prefix_aware`, which hashes the whole prompt and looks its blocks up in
 * each candidate's record (docs/performance.md). Each strategy has a model of its own
 * (`model_strategies`), served by two entries of the same mock, so the prefix-aware pick has a choice
 * to make. Sixteen sessions share the system prompt and tools and differ in their messages.
 * @module
 */
import { jsonRequest, type RequestSpec } from "../src/bench/load.js";
import type { PhaseOptions, PhasePlan } from "./overhead-phases.js";
import { BEHIND_RATE } from "./overhead-protocol-report.js";
import { judge, type TargetReport, type Verdict } from "./overhead-report.js";

export const LONG_PROMPT_STRATEGIES = ["round_robin", "prefix_aware"] as const;
export type LongPromptStrategy = (typeof LONG_PROMPT_STRATEGIES)[number];

/** The model each strategy routes (the gateway config maps it with `model_strategies`). */
export const LONG_PROMPT_MODELS: Record<LongPromptStrategy, string> = {
  round_robin: "mock-model-long-rr",
  prefix_aware: "mock-model-long-prefix",
};

/** prefix_aware's p50 may exceed round robin's by this much with long prompts (issue #17). */
export const LONG_PROMPT_ADDED_P50_MS = 0.1;

const SESSIONS = 16;

const TOOLS = Array.from({ length: 20 }, (_, index) => ({
  type: "function",
  function: {
    name: `Tool${index}`,
    description: "Does one thing to the repository, described at length. ".repeat(20),
    parameters: { type: "object", properties: { path: { type: "string" }, limit: { type: "number" } } },
  },
}));
const SYSTEM = "You are an agent. Follow the rules. ".repeat(330);

/** One turn late in an agent session: the shared system prompt and tools, then the session's messages. */
export function longPromptBody(model: string, session: number): string {
  const messages = Array.from({ length: 40 }, (_, turn) => ({
    role: turn % 2 === 0 ? "user" : "assistant",
    content: `session ${session} turn ${turn}: ${"a line of code or prose. ".repeat(60)}`,
  }));
  return JSON.stringify({
    model,
    max_tokens: 16,
    stream: false,
    tools: TOOLS,
    messages: [{ role: "system", content: SYSTEM }, ...messages],
  });
}

/** The requests of one strategy's phase, the sessions in turn (built once). */
export function longPromptRequests(strategy: LongPromptStrategy): (index: number) => RequestSpec {
  const specs = Array.from({ length: SESSIONS }, (_, session) => {
    const spec = jsonRequest("/v1/chat/completions", {}, false);
    return { ...spec, body: longPromptBody(LONG_PROMPT_MODELS[strategy], session) };
  });
  return (index) => specs[index % SESSIONS]!;
}

/** The two long-prompt phases, after the others: JSON, open loop at `--long-prompt-rate` (else `--rate`), one per strategy. */
export function longPromptPhases(
  options: Pick<PhaseOptions, "rate" | "precise"> & { longPromptRate?: number | undefined },
): PhasePlan[] {
  const rate = options.longPromptRate ?? options.rate;
  return LONG_PROMPT_STRATEGIES.map((strategy) => ({
    target: "gateway",
    protocol: "chat",
    payload: "long",
    load: "open",
    loadLabel: `${rate}/s ${strategy}`,
    mode: { kind: "open", rate, precise: options.precise },
    rate,
    strategy,
  }));
}

/** What the gateway config adds: the two models, on two entries of the mock, each with its strategy. */
export function longPromptConfig(mockUrl: string) {
  const models = Object.values(LONG_PROMPT_MODELS);
  return {
    backends: [
      { name: "bench-mock-long-a", url: mockUrl, models },
      { name: "bench-mock-long-b", url: mockUrl, models },
    ],
    model_strategies: Object.fromEntries(
      LONG_PROMPT_STRATEGIES.map((strategy) => [LONG_PROMPT_MODELS[strategy], strategy]),
    ),
  };
}

/** prefix_aware's p50 over round robin's, judged against LONG_PROMPT_ADDED_P50_MS; none without the phases. */
export function computeLongPromptVerdicts(reports: readonly TargetReport[]): Verdict[] {
  const phases = reports.find((report) => report.target === "gateway" && report.status === "ok")?.phases;
  const of = (strategy: LongPromptStrategy) =>
    phases?.find((figures) => figures.payload === "long" && figures.strategy === strategy);
  const [roundRobin, prefixAware] = [of("round_robin"), of("prefix_aware")];
  if (!roundRobin && !prefixAware) return [];
  const rate = roundRobin?.rate ?? prefixAware?.rate ?? 0;
  const verdict = judge({
    label: `added p50 prefix_aware over round_robin, long prompt, open loop ${rate}/s`,
    value:
      roundRobin && prefixAware
        ? prefixAware.summary.latency.p50 - roundRobin.summary.latency.p50
        : undefined,
    unit: "ms",
    target: { max: LONG_PROMPT_ADDED_P50_MS },
  });
  const behind = [roundRobin, prefixAware].some(
    (figures) => figures && figures.summary.throughput < BEHIND_RATE * rate,
  );
  const cpu = (figures: typeof roundRobin) => figures?.targetCpuMsPerRequest;
  const cpuRatio = cpu(roundRobin) && cpu(prefixAware) ? cpu(prefixAware)! / cpu(roundRobin)! : undefined;
  return [
    behind && verdict.value !== undefined
      ? { ...verdict, met: undefined, unjudged: `not judged: behind ${rate}/s` }
      : verdict,
    {
      label: "reference: gateway CPU per request prefix_aware ÷ round_robin, long prompt",
      value: cpuRatio,
      unit: "ratio",
    },
  ];
}
