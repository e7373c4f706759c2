/**
 * A non-streamed attempt with a hedge. A stream's attempt is bounded by `first_byte_timeout`, since
 * a live backend sends a stream's headers at once; a non-streamed answer has its headers only when
 * the whole generation is done, so a frozen backend cannot be told from a long answer by waiting.
 * Instead, when the attempt has had no answer after the hedge delay (hedge-delay.ts), a second
 * attempt starts on another eligible backend, picked, capped and leased like any attempt, and the
 * first answer wins (hedge.ts); the other is cancelled. At most one hedge per request, none when no
 * other backend is eligible at that moment (no wait for capacity: a hedge is optional work).
 *
 * Sending the body twice is what a retry does already: an inference request has no effect on the
 * backend beyond its answer, so the cancelled one costs compute, never a duplicate side effect.
 * @module
 */
import type { BackendState } from "../routing/backend.js";
import type { ClientGone } from "../upstream/client-gone.js";
import type { AttemptResult } from "./attempt.js";
import { AttemptRace, type HedgeOutcome, type RaceEntrant } from "./hedge.js";
import { requestTimer } from "./request-timer.js";

export interface HedgePlan {
  /** Milliseconds without an answer after which the hedge starts; Infinity: none. */
  delayMs: number;
  /** The backend for the hedge among those still eligible (marked as tried); undefined: none. */
  pickHedge(): Promise<BackendState | undefined>;
  /** Runs one attempt on `backend` with its own signal in the race. */
  start(backend: BackendState, signal: RaceEntrant): Promise<AttemptResult>;
  /** An attempt that failed (or found its backend full) while the other one went on. */
  onSideResult(backend: BackendState, result: AttemptResult): void;
  /** The winner's answer came this many milliseconds after it was sent. */
  onAnswerTime(ms: number): void;
  /** The hedge was due: what became of it. */
  onHedge(outcome: HedgeOutcome): void;
}

export interface RaceResult {
  result: AttemptResult;
  /** The backend whose attempt gave `result`. */
  backend: BackendState;
  /** Whether a hedge was due (sent or not): a request gets one at most. */
  hedgeDue: boolean;
}

interface Run {
  backend: BackendState;
  signal: RaceEntrant;
  done: Promise<{ run: Run; result: AttemptResult }>;
  /**
   * What the attempt threw, if it did (its result then reads "aborted"): both attempts are still
   * awaited, so the other one never runs on unwatched, and the error is thrown unless it answered.
   */
  error?: unknown;
}

export async function runWithHedge(
  first: BackendState,
  clientGone: ClientGone,
  plan: HedgePlan,
): Promise<RaceResult> {
  const race = new AttemptRace(clientGone);
  try {
    const primary = startRun(first, race, plan);
    const early = await beforeHedge(primary, plan.delayMs);
    if (early) return finish(early.run, early.result, race, plan, false);
    // A pick that fails (a shared store away while claiming a probe) means no hedge, not a lost request.
    const hedgeBackend = clientGone.aborted ? undefined : await plan.pickHedge().catch(() => undefined);
    if (!hedgeBackend) {
      plan.onHedge(clientGone.aborted ? "abandoned" : "no_backend");
      const { result } = await primary.done;
      return finish(primary, result, race, plan, true);
    }
    const hedge = startRun(hedgeBackend, race, plan);
    const firstDone = await Promise.race([primary.done, hedge.done]);
    const firstFinal = isFinal(firstDone.run, firstDone.result);
    if (!firstFinal && (firstDone.result.kind === "failed" || firstDone.result.kind === "full"))
      plan.onSideResult(firstDone.run.backend, firstDone.result);
    // Even after an answer, the other attempt is awaited: cancelled, it settles at once.
    const otherDone = await (firstDone.run === primary ? hedge : primary).done;
    const final = firstFinal ? firstDone : otherDone;
    const hedgeResult = firstDone.run === hedge ? firstDone.result : otherDone.result;
    plan.onHedge(hedge.error !== undefined ? "failed" : hedgeOutcome(hedgeResult, hedge.signal, clientGone));
    const threw = [primary, hedge].find((run) => run.error !== undefined);
    if (threw && final.result.kind !== "relayed") throw threw.error;
    return finish(final.run, final.result, race, plan, true);
  } finally {
    race.dispose();
  }
}

function startRun(backend: BackendState, race: AttemptRace, plan: HedgePlan): Run {
  const signal = race.enter();
  const run = { backend, signal } as Run;
  run.done = plan.start(backend, signal).then(
    (result) => ({ run, result }),
    (error: unknown) => {
      run.error = error;
      return { run, result: { kind: "aborted" } };
    },
  );
  return run;
}

/**
 * The first attempt's result if it came within `delayMs`; undefined when the hedge is due. One
 * promise and one timer, not an async function racing two promises: this runs for every
 * non-streamed request, and `primary.done` never rejects (startRun).
 */
function beforeHedge(
  primary: Run,
  delayMs: number,
): Promise<{ run: Run; result: AttemptResult } | undefined> {
  if (!Number.isFinite(delayMs)) return primary.done;
  return new Promise((resolve) => {
    // Resolved with nothing: the hedge is due.
    const timer = requestTimer(resolve as () => void, delayMs);
    void primary.done.then((done) => {
      clearTimeout(timer);
      resolve(done);
    });
  });
}

/**
 * Whether a result ends the race by itself: an answer, or the client leaving. A loser's abort does
 * not (the winner is still writing), nor does a failure while the other attempt may still answer.
 */
function isFinal(run: Run, result: AttemptResult): boolean {
  if (run.error !== undefined) return false;
  return result.kind === "relayed" || (result.kind === "aborted" && !run.signal.lost);
}

function hedgeOutcome(result: AttemptResult, signal: RaceEntrant, clientGone: ClientGone): HedgeOutcome {
  if (result.kind === "relayed") return "won";
  if (result.kind === "aborted") return signal.lost ? "lost" : "abandoned";
  return clientGone.aborted ? "abandoned" : "failed";
}

function finish(
  run: Run,
  result: AttemptResult,
  race: AttemptRace,
  plan: HedgePlan,
  hedgeDue: boolean,
): RaceResult {
  if (run.error !== undefined) throw run.error;
  const winner = race.winner;
  if (result.kind === "relayed" && winner === run.signal && winner.claimedAt > 0)
    plan.onAnswerTime(winner.claimedAt - winner.startedAt);
  return { result, backend: run.backend, hedgeDue };
}
