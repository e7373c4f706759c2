/**
 * One closed-loop agent-session run of `routing-sim` (see there): simulated engines (the mock's
 * scheduler and KV cache, no HTTP) on one virtual clock, a strategy picking for each turn as the
 * gateway would, and the engines' own figures over the measured window: where their time went
 * (prefill, decode, the fixed cost of a step), how much of the prompt was found cached, how deep the
 * waiting queue was and how full the KV cache.
 *
 * The gateway's view of a backend is what it keeps itself: requests in flight there. Its scraped
 * `queueDepth` is the engine's running + waiting less that, 0 when the gateway is the only client,
 * so it is 0 here. Turns are rendered for the engine as the mock renders a chat request, and hashed
 * for the strategy as the gateway hashes one.
 * @module
 */
import { createShape } from "../src/bench/llm/workloads/create-shape.js";
import type { PromptShape, ShapedPrompt } from "../src/bench/llm/workloads/shape.js";
import { type EngineProfile, stepMs } from "../src/mock/engine-sim/profiles.js";
import { renderChatPrompt } from "../src/mock/engine-sim/prompt.js";
import { Scheduler, type StepReport } from "../src/mock/engine-sim/scheduler.js";
import { BLOCK_TOKENS, blockHashes, simTokenCount } from "../src/mock/engine-sim/tokens.js";
import { lazyPromptBlocks, type PromptBlocks } from "../src/protocol/prompt-blocks.js";
import { seededRandom } from "../src/random/seeded-random.js";
import type { BackendView } from "../src/routing/backend.js";
import { KvAdmission, type KvAdmissionOrder } from "../src/routing/kv-admission.js";
import type { Strategy } from "../src/routing/strategies/strategy.js";
import { CacheOracle } from "./routing-sim-oracle.js";

/**
 * The gateway's KV admission (`kv_admission`, src/routing/kv-admission.ts) as a run applies it: the
 * strategy still picks the engine, and the turn waits in a queue for that engine until the engine's
 * working set has room for it. Its times are engine time: the module runs on the run's virtual clock.
 */
export interface AdmissionSpec {
  /** Share of the engine's KV cache the working set may fill (may exceed 1: shared blocks). */
  capacityFraction: number;
  order: KvAdmissionOrder;
  /** How long a finished turn's blocks stay counted while its session thinks (ms). */
  holdMs: number;
  /** Above `holdMs`: the hold is learned from the sessions' return gaps, up to this (ms). */
  holdCeilingMs?: number | undefined;
  /** cached-first: a turn queued this long goes first whatever it holds. None: no such bound. */
  agingMs?: number | undefined;
  /**
   * What the gateway knows, where it differs from what the engine does (each on its own, to find
   * which one costs the gain): `blocks: "gateway"` counts the prompt in the gateway's character
   * blocks (`prefix_block_chars`, hashed over the request's parts) rather than the engine's 16-token
   * blocks; `decodeTokens` counts every turn's decode as that many tokens rather than its own;
   * `queuedInLoad: false` leaves turns waiting at the gateway out of the load the strategy sees
   * (only turns sent to the engine count), as the gateway's in-flight count did.
   */
  blocks?: "engine" | "gateway" | undefined;
  decodeTokens?: number | undefined;
  queuedInLoad?: boolean | undefined;
}

/** The prompt blocks the gateway hashes (`prefix_block_chars`' default) and the tokens each stands for. */
const GATEWAY_BLOCK_CHARS = 256;
const GATEWAY_BLOCK_TOKENS = GATEWAY_BLOCK_CHARS / 4;

/** A turn as the gateway's admission sees it. */
interface AdmissionTicket {
  readonly session: string;
  readonly blockHashes: readonly number[];
  readonly outputTokens: number;
  readonly turn: Turn;
}

export interface SimRunSpec {
  /** A {@link CacheOracle} is shown each engine's real cache before each pick. */
  strategy: Strategy;
  profile: EngineProfile;
  engines: number;
  workload?: "agent-sessions" | "chat" | "hot-prefix";
  /** Concurrent sessions in the whole fleet: closed-loop workers, or sessions open at once. */
  sessions: number;
  /** Open loop: Poisson arrivals per second (engine time). None: a closed loop of `sessions`. */
  rate?: number | undefined;
  /** Mean think time between a session's turns (ms), uniform within ±50 %. */
  thinkMs: number;
  warmup: number;
  requests: number;
  seed: number;
  /** Gateway-side admission by KV tokens. None: every turn goes to its engine at once. */
  admission?: AdmissionSpec | undefined;
}

export interface SimRunResult {
  outputTokensPerS: number;
  ttftP50Ms: number;
  ttftP99Ms: number;
  latencyP50Ms: number;
  /** Mean prompt tokens of a measured turn. */
  meanPromptTokens: number;
  /** Share of prompt tokens found in the engines' prefix caches. */
  prefixHitRate: number;
  /** Shares of the engines' busy time: computing prompt tokens, decoding, fixed step cost. */
  prefillShare: number;
  decodeShare: number;
  baseShare: number;
  /** Share of the window the engines were busy at all. */
  busyShare: number;
  /** Time-averaged waiting sequences per engine, and the share of time with any waiting. */
  meanWaiting: number;
  waitingShare: number;
  meanRunning: number;
  /** Time-averaged KV cache usage (blocks held by running sequences). */
  meanKvUsage: number;
  /** Busiest engine's time-averaged running + waiting over the mean. */
  maxOverMeanLoad: number;
  /**
   * Closed loop: where the history a turn could have found was lost, as shares of prompt tokens.
   * A continuing turn's history is its previous turn's prompt; it is lost because the turn went to
   * another engine (`moved`, whatever that engine held), or, on the same engine, because it was
   * evicted while the session thought (`evictedIdle`) or while the turn queued there
   * (`evictedQueued`). What is left of a turn's prompt is its new tail and, for a session's first
   * turn, everything past the shared prefixes: no router can find those.
   */
  historyLost: HistoryLoss;
  /** Closed loop: continuing turns sent to an engine other than their previous turn's. */
  movedTurnShare: number;
  /** Mean time a measured turn waited at the gateway before its engine saw it (ms; part of TTFT). */
  gatewayWaitMeanMs: number;
}

export interface HistoryLoss {
  moved: number;
  evictedIdle: number;
  evictedQueued: number;
}

const MODEL = "bench-model";

interface EngineState {
  scheduler: Scheduler;
  view: BackendView & { inflight: number };
  pending: StepReport | undefined;
  /** Time integrals over the window (ms-weighted). */
  prefillMs: number;
  decodeMs: number;
  baseMs: number;
  waitingMs: number;
  anyWaitingMs: number;
  runningMs: number;
  kvMs: number;
  promptTokens: number;
  hitTokens: number;
  /** Turns submitted and not yet admitted, in order: the scheduler admits first come, first served. */
  admissionQueue: Turn[];
  /** The gateway's queue for this engine, when admission is on. */
  gateway: KvAdmission<AdmissionTicket> | undefined;
  /** A wake-up already scheduled for the gateway queue (ms), so holds ageing out add one each. */
  wakeAtMs: number;
}

interface Turn {
  index: number;
  worker: number;
  session: string;
  blockHashes: number[];
  sentMs: number;
  /** When the engine received it: after its wait at the gateway. */
  submittedMs?: number;
  firstMs?: number;
  finishMs?: number;
  outputTokens: number;
  promptTokens: number;
  /** Tokens of the previous turn's prompt on this turn's engine as it arrived (16-token blocks). */
  cachedAtArrival: number;
  /** Tokens found cached when the engine admitted it. */
  hitTokens?: number;
  /** How it waited at the gateway, when admission is on. */
  ticket?: AdmissionTicket;
  /** The previous turn of its session: its prompt's full-block tokens, and whether it went elsewhere. */
  previous?: { tokens: number; moved: boolean };
}

/** Where a session's last turn went, and how much of its prompt the next turn repeats. */
interface SessionTrail {
  engine: EngineState;
  tokens: number;
}

export function simulateRun(spec: SimRunSpec): SimRunResult {
  const shape = createShape(spec.workload ?? "agent-sessions", seededRandom(spec.seed), {
    sessions: spec.sessions,
  }) as PromptShape;
  const thinkRandom = seededRandom(spec.seed ^ 0x5bd1e995);
  const open = spec.rate !== undefined;
  /** The open loop's one source of arrivals. */
  const OPEN = -1;
  /** Not an arrival: the gateway retries its queue for `engine`. */
  const WAKE = -2;
  let windowStart = Number.POSITIVE_INFINITY;
  let measuring = false;
  /** The virtual clock the gateway's admission reads: set to each event's time before it acts. */
  let clockMs = 0;
  const now = () => clockMs;
  const engines: EngineState[] = Array.from({ length: spec.engines }, (_, index) => {
    const state: EngineState = {
      scheduler: undefined as unknown as Scheduler,
      view: {
        id: `engine-${index + 1}`,
        url: `http://engine-${index + 1}`,
        kind: "openai",
        weight: 1,
        maxConnections: 0,
        inflight: 0,
        queueDepth: 0,
        models: [MODEL],
      },
      pending: undefined,
      prefillMs: 0,
      decodeMs: 0,
      baseMs: 0,
      waitingMs: 0,
      anyWaitingMs: 0,
      runningMs: 0,
      kvMs: 0,
      promptTokens: 0,
      hitTokens: 0,
      admissionQueue: [],
      gateway:
        spec.admission === undefined
          ? undefined
          : new KvAdmission<AdmissionTicket>(
              admissionSettings(spec.admission, spec.profile.kvCacheTokens),
              now,
            ),
      wakeAtMs: Number.NaN,
    };
    state.scheduler = new Scheduler(
      {
        profile: spec.profile,
        kvCacheTokens: spec.profile.kvCacheTokens,
        maxNumSeqs: spec.profile.maxNumSeqs,
        maxBatchedTokens: spec.profile.maxBatchedTokens,
        seed: spec.seed + index,
      },
      {
        admitted(prompt, hit) {
          const turn = state.admissionQueue.shift();
          if (turn !== undefined) turn.hitTokens = hit;
          if (!measuring) return;
          state.promptTokens += prompt;
          state.hitTokens += hit;
        },
        firstToken() {},
        generated() {},
        finished() {},
      },
    );
    return state;
  });

  const total = spec.warmup + spec.requests;
  const measured: Turn[] = [];
  const arrivals: Arrival[] = [];
  let sent = 0;
  let lastFinishMs = 0;
  let outputTokens = 0;
  let promptTokensSent = 0;
  const trails = new Map<string, SessionTrail>();

  const send = (worker: number, atMs: number) => {
    if (sent >= total) return;
    const index = sent++;
    if (index === spec.warmup) {
      windowStart = atMs;
      measuring = true;
    }
    if (worker === OPEN)
      insertByTime(arrivals, { atMs: atMs - (Math.log(1 - thinkRandom()) / spec.rate!) * 1000, worker });
    const prompt = worker === OPEN ? shape.next() : shape.nextFor!(worker);
    const text = renderChatPrompt(prompt.messages, openAiTools(prompt));
    const hashes = blockHashes(text);
    if (spec.strategy instanceof CacheOracle)
      spec.strategy.cachedTokens = (id) =>
        engines.find((engine) => engine.view.id === id)!.scheduler.cache.cachedPrefix(hashes) * BLOCK_TOKENS;
    const promptBlocks = lazyPromptBlocks({ tools: openAiTools(prompt), messages: prompt.messages }, MODEL);
    const engine = pick(spec.strategy, engines, prompt, promptBlocks);
    const turn: Turn = {
      index,
      worker,
      session: prompt.session ?? `turn-${index}`,
      blockHashes: hashes,
      sentMs: atMs,
      outputTokens: prompt.outputTokens,
      promptTokens: simTokenCount(text),
      cachedAtArrival: 0,
    };
    if (index >= spec.warmup) {
      measured.push(turn);
      promptTokensSent += turn.promptTokens;
    }
    if (prompt.session !== undefined && worker !== OPEN) {
      const trail = trails.get(prompt.session);
      if (trail !== undefined) {
        turn.previous = { tokens: trail.tokens, moved: trail.engine !== engine };
        if (trail.engine === engine)
          turn.cachedAtArrival = Math.min(
            trail.tokens,
            engine.scheduler.cache.cachedPrefix(hashes) * BLOCK_TOKENS,
          );
      }
      trails.set(prompt.session, { engine, tokens: hashes.length * BLOCK_TOKENS });
    }
    if (engine.gateway === undefined) {
      engine.view.inflight++;
      submit(engine, turn, atMs);
      return;
    }
    const admission = spec.admission!;
    if (admission.queuedInLoad !== false) engine.view.inflight++;
    turn.ticket = {
      session: turn.session,
      blockHashes: admission.blocks === "gateway" ? promptBlocks(GATEWAY_BLOCK_CHARS) : hashes,
      outputTokens: admission.decodeTokens ?? turn.outputTokens,
      turn,
    };
    clockMs = atMs;
    engine.gateway.enqueue(turn.ticket);
    admitQueued(engine, atMs);
  };

  /** The gateway lets what fits through, and wakes itself when a hold ages out. */
  const admitQueued = (engine: EngineState, atMs: number) => {
    const gateway = engine.gateway!;
    clockMs = atMs;
    for (const { turn } of gateway.admit()) {
      if (spec.admission!.queuedInLoad === false) engine.view.inflight++;
      submit(engine, turn, atMs);
    }
    if (gateway.queued === 0) return;
    const wake = gateway.nextWakeMs();
    if (wake === undefined || wake === engine.wakeAtMs) return;
    engine.wakeAtMs = wake;
    insertByTime(arrivals, { atMs: wake, worker: WAKE, engine });
  };

  const submit = (engine: EngineState, turn: Turn, atMs: number) => {
    const { index, worker } = turn;
    turn.submittedMs = atMs;
    engine.scheduler.advanceIdleTo(atMs);
    engine.admissionQueue.push(turn);
    engine.scheduler.submit(
      {
        promptTokens: turn.promptTokens,
        blockHashes: turn.blockHashes,
        outputTokens: turn.outputTokens,
      },
      {
        onToken(tokenIndex, tokenMs) {
          if (tokenIndex === 0) turn.firstMs = tokenMs;
        },
        onFinish(finishMs) {
          engine.view.inflight--;
          turn.finishMs = finishMs;
          if (index >= spec.warmup) {
            lastFinishMs = Math.max(lastFinishMs, finishMs);
            outputTokens += turn.outputTokens;
          }
          if (engine.gateway !== undefined) {
            clockMs = finishMs;
            engine.gateway.ended(turn.ticket!);
            // Not from inside the engine's step: the loop admits at the same time, after it.
            insertByTime(arrivals, { atMs: finishMs, worker: WAKE, engine });
          }
          if (worker === OPEN) return;
          const think = spec.thinkMs * (0.5 + thinkRandom());
          insertByTime(arrivals, { atMs: finishMs + think, worker });
        },
      },
      atMs,
    );
    if (engine.pending === undefined) engine.pending = stepOf(engine, spec.profile, windowStart);
  };

  if (open) send(OPEN, 0);
  else for (let worker = 0; worker < spec.sessions; worker++) send(worker, 0);
  for (;;) {
    const next = nextEngine(engines);
    const arrival = arrivals[0];
    if (arrival !== undefined && (next === undefined || arrival.atMs <= next.pending!.endMs)) {
      arrivals.shift();
      if (arrival.worker === WAKE) admitQueued(arrival.engine!, arrival.atMs);
      else send(arrival.worker, arrival.atMs);
      continue;
    }
    if (next === undefined) break;
    const report = next.pending!;
    next.pending = undefined;
    next.scheduler.deliver(report);
    next.pending = stepOf(next, spec.profile, windowStart);
    if (sent >= total && measured.every((turn) => turn.firstMs !== undefined) && allDone(engines)) break;
  }

  const windowMs = Math.max(1, lastFinishMs - windowStart);
  const ttfts = measured.map((turn) => (turn.firstMs ?? turn.sentMs) - turn.sentMs).sort((a, b) => a - b);
  const sum = (read: (engine: EngineState) => number) => engines.reduce((acc, e) => acc + read(e), 0);
  const busy = sum((e) => e.prefillMs + e.decodeMs + e.baseMs);
  const loads = engines.map((e) => (e.runningMs + e.waitingMs) / windowMs);
  const meanLoad = loads.reduce((a, b) => a + b, 0) / loads.length;
  const prompt = sum((e) => e.promptTokens);
  return {
    outputTokensPerS: (outputTokens / windowMs) * 1000,
    ttftP50Ms: quantile(ttfts, 0.5),
    ttftP99Ms: quantile(ttfts, 0.99),
    latencyP50Ms: quantile(
      measured.map((turn) => (turn.finishMs ?? turn.sentMs) - turn.sentMs).sort((a, b) => a - b),
      0.5,
    ),
    meanPromptTokens: promptTokensSent / Math.max(1, measured.length),
    prefixHitRate: prompt > 0 ? sum((e) => e.hitTokens) / prompt : 0,
    prefillShare: sum((e) => e.prefillMs) / busy,
    decodeShare: sum((e) => e.decodeMs) / busy,
    baseShare: sum((e) => e.baseMs) / busy,
    busyShare: busy / (windowMs * engines.length),
    meanWaiting: sum((e) => e.waitingMs) / windowMs / engines.length,
    waitingShare: sum((e) => e.anyWaitingMs) / windowMs / engines.length,
    meanRunning: sum((e) => e.runningMs) / windowMs / engines.length,
    meanKvUsage: sum((e) => e.kvMs) / windowMs / engines.length,
    maxOverMeanLoad: meanLoad > 0 ? Math.max(...loads) / meanLoad : 1,
    historyLost: historyLoss(measured, promptTokensSent),
    movedTurnShare: movedShare(measured),
    gatewayWaitMeanMs:
      measured.reduce((acc, turn) => acc + ((turn.submittedMs ?? turn.sentMs) - turn.sentMs), 0) /
      Math.max(1, measured.length),
  };
}

function admissionSettings(spec: AdmissionSpec, kvCacheTokens: number) {
  const blockTokens = spec.blocks === "gateway" ? GATEWAY_BLOCK_TOKENS : BLOCK_TOKENS;
  return {
    capacityBlocks: Math.floor((kvCacheTokens * spec.capacityFraction) / blockTokens),
    blockTokens,
    holdMs: spec.holdMs,
    holdCeilingMs: spec.holdCeilingMs,
    waitBoundMs: spec.agingMs ?? Number.POSITIVE_INFINITY,
    order: spec.order,
    maxQueue: Number.POSITIVE_INFINITY,
  };
}

function historyLoss(turns: readonly Turn[], promptTokens: number): HistoryLoss {
  const lost = { moved: 0, evictedIdle: 0, evictedQueued: 0 };
  for (const { previous, hitTokens = 0, cachedAtArrival } of turns) {
    if (previous === undefined) continue;
    if (previous.moved) {
      lost.moved += Math.max(0, previous.tokens - hitTokens);
      continue;
    }
    lost.evictedIdle += previous.tokens - cachedAtArrival;
    lost.evictedQueued += Math.max(0, cachedAtArrival - hitTokens);
  }
  const share = (tokens: number) => (promptTokens > 0 ? tokens / promptTokens : 0);
  return {
    moved: share(lost.moved),
    evictedIdle: share(lost.evictedIdle),
    evictedQueued: share(lost.evictedQueued),
  };
}

function movedShare(turns: readonly Turn[]): number {
  const continuing = turns.filter((turn) => turn.previous !== undefined);
  return continuing.length > 0
    ? continuing.filter((turn) => turn.previous!.moved).length / continuing.length
    : 0;
}

/** Runs the engine's next step, adding its time to the window's figures; undefined when idle. */
function stepOf(engine: EngineState, profile: EngineProfile, windowStart: number): StepReport | undefined {
  const { scheduler } = engine;
  const report = scheduler.step();
  if (report === undefined) return undefined;
  const inWindow = Math.max(0, report.endMs - Math.max(report.startMs, windowStart));
  if (inWindow === 0) return report;
  const prefill =
    report.prefillTokens * profile.prefillTokenMs +
    report.prefillAttention * profile.prefillAttentionMsPerToken;
  const decode = report.decodeSeqs * profile.decodeSeqMs + report.decodeContext * profile.kvReadMsPerToken;
  // The step's jittered time in the window, split in the cost model's proportions.
  const scale = inWindow / stepMs(profile, report);
  engine.prefillMs += prefill * scale;
  engine.decodeMs += decode * scale;
  engine.baseMs += profile.stepBaseMs * scale;
  engine.waitingMs += scheduler.waitingCount * inWindow;
  // Left waiting after the step admitted what it could: the cache or the batch is full.
  if (scheduler.waitingCount > 0) engine.anyWaitingMs += inWindow;
  engine.runningMs += scheduler.runningCount * inWindow;
  engine.kvMs += scheduler.cache.usage() * inWindow;
  return report;
}

function nextEngine(engines: readonly EngineState[]): EngineState | undefined {
  let next: EngineState | undefined;
  for (const engine of engines)
    if (engine.pending !== undefined && (next === undefined || engine.pending.endMs < next.pending!.endMs))
      next = engine;
  return next;
}

function allDone(engines: readonly EngineState[]): boolean {
  return engines.every((engine) => engine.pending === undefined && !engine.scheduler.hasWork());
}

function pick(
  strategy: Strategy,
  engines: readonly EngineState[],
  prompt: ShapedPrompt,
  promptBlocks: PromptBlocks,
): EngineState {
  const views = engines.map((engine) => engine.view);
  const chosen = strategy.pick(views, { model: MODEL, sessionKey: prompt.session, promptBlocks });
  return engines[views.indexOf(chosen!)]!;
}

/** The tools as the bench sends them in a chat request. */
function openAiTools(prompt: ShapedPrompt): unknown {
  return prompt.tools?.map((tool) => ({
    type: "function",
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  }));
}

interface Arrival {
  atMs: number;
  worker: number;
  engine?: EngineState;
}

function insertByTime(queue: Arrival[], item: Arrival): void {
  let low = 0;
  let high = queue.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (queue[middle]!.atMs <= item.atMs) low = middle + 1;
    else high = middle;
  }
  queue.splice(low, 0, item);
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
