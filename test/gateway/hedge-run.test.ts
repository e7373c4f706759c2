/**
 * runWithHedge with stand-in attempts whose results the test decides: which result reaches the
 * retry loop, what the hedge is counted as, and that an attempt that throws neither leaves the
 * other running unwatched nor hides an answer.
 */
import { describe, expect, it } from "vitest";
import type { AttemptResult } from "../../src/gateway/attempt.js";
import type { HedgeOutcome, RaceEntrant } from "../../src/gateway/hedge.js";
import { type HedgePlan, runWithHedge } from "../../src/gateway/hedge-run.js";
import type { BackendState } from "../../src/routing/backend.js";
import { ClientGone } from "../../src/upstream/client-gone.js";

const backend = (id: string) => ({ id }) as BackendState;
const FIRST = backend("first");
const SECOND = backend("second");

interface Started {
  backend: BackendState;
  signal: RaceEntrant;
  settle: (result: AttemptResult | Error) => void;
}

/** A plan whose attempts end when the test says; the hedge is due at once. */
function stagedPlan(hedgeBackend: BackendState | null = SECOND) {
  const started: Started[] = [];
  const outcomes: HedgeOutcome[] = [];
  const sides: AttemptResult[] = [];
  const plan: HedgePlan = {
    delayMs: 0,
    pickHedge: async () => hedgeBackend ?? undefined,
    start: (on, signal) =>
      new Promise<AttemptResult>((resolve, reject) => {
        const settle = (result: AttemptResult | Error) =>
          result instanceof Error ? reject(result) : resolve(result);
        // A cancelled attempt ends as undici's abort would end it.
        signal.once("abort", () => resolve({ kind: "aborted" }));
        started.push({ backend: on, signal, settle });
      }),
    onSideResult: (_on, result) => sides.push(result),
    onAnswerTime: () => undefined,
    onHedge: (outcome) => outcomes.push(outcome),
  };
  const bothStarted = async () => {
    while (started.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
  };
  return { plan, started, outcomes, sides, bothStarted };
}

const failed = (id: string): AttemptResult => ({
  kind: "failed",
  failure: { kind: "error", backend: id, cause: "boom" },
});

describe("runWithHedge", () => {
  it("returns the hedge's answer when it claims first, the first attempt cancelled", async () => {
    const staged = stagedPlan();
    const running = runWithHedge(FIRST, new ClientGone(), staged.plan);
    await staged.bothStarted();
    expect(staged.started[1]!.signal.claim()).toBe(true);
    staged.started[1]!.settle({ kind: "relayed" });
    const raced = await running;
    expect(raced).toMatchObject({ result: { kind: "relayed" }, backend: SECOND, hedgeDue: true });
    expect(staged.started[0]!.signal.lost).toBe(true);
    expect(staged.outcomes).toEqual(["won"]);
  });

  it("waits for the first attempt when the hedge fails, reporting the hedge's failure aside", async () => {
    const staged = stagedPlan();
    const running = runWithHedge(FIRST, new ClientGone(), staged.plan);
    await staged.bothStarted();
    staged.started[1]!.settle(failed("second"));
    await new Promise((resolve) => setTimeout(resolve, 1));
    staged.started[0]!.signal.claim();
    staged.started[0]!.settle({ kind: "relayed" });
    expect(await running).toMatchObject({ result: { kind: "relayed" }, backend: FIRST });
    expect(staged.sides).toEqual([failed("second")]);
    expect(staged.outcomes).toEqual(["failed"]);
  });

  it("hands both failures on when neither answers: one aside, the last as the result", async () => {
    const staged = stagedPlan();
    const running = runWithHedge(FIRST, new ClientGone(), staged.plan);
    await staged.bothStarted();
    staged.started[0]!.settle(failed("first"));
    await new Promise((resolve) => setTimeout(resolve, 1));
    staged.started[1]!.settle(failed("second"));
    expect(await running).toMatchObject({ result: failed("second"), backend: SECOND });
    expect(staged.sides).toEqual([failed("first")]);
  });

  it("counts no_backend and runs the first attempt alone when no other backend is eligible", async () => {
    const staged = stagedPlan(null);
    const running = runWithHedge(FIRST, new ClientGone(), staged.plan);
    while (staged.outcomes.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(staged.outcomes).toEqual(["no_backend"]);
    staged.started[0]!.settle({ kind: "relayed" });
    expect(await running).toMatchObject({ result: { kind: "relayed" }, backend: FIRST, hedgeDue: true });
    expect(staged.started).toHaveLength(1);
  });

  it("ends as aborted when the client leaves, both attempts cancelled", async () => {
    const staged = stagedPlan();
    const client = new ClientGone();
    const running = runWithHedge(FIRST, client, staged.plan);
    await staged.bothStarted();
    client.abort();
    expect((await running).result).toEqual({ kind: "aborted" });
    expect(staged.outcomes).toEqual(["abandoned"]);
  });

  it("keeps the hedge's answer when the first attempt throws, and throws when nothing answered", async () => {
    const answered = stagedPlan();
    const running = runWithHedge(FIRST, new ClientGone(), answered.plan);
    await answered.bothStarted();
    answered.started[0]!.settle(new Error("bug"));
    await new Promise((resolve) => setTimeout(resolve, 1));
    answered.started[1]!.signal.claim();
    answered.started[1]!.settle({ kind: "relayed" });
    expect((await running).result).toEqual({ kind: "relayed" });

    const unanswered = stagedPlan();
    const failing = runWithHedge(FIRST, new ClientGone(), unanswered.plan);
    await unanswered.bothStarted();
    unanswered.started[1]!.settle(new Error("bug"));
    await new Promise((resolve) => setTimeout(resolve, 1));
    unanswered.started[0]!.settle(failed("first"));
    await expect(failing).rejects.toThrow("bug");
    expect(unanswered.outcomes).toEqual(["failed"]);
  });
});
