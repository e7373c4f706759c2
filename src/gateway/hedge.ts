/**
 * The race between a non-streamed attempt and its hedge: each attempt runs on a signal of its own
 * (an entrant), aborted when the client leaves or when another entrant's answer came first. The
 * first attempt whose answer is in claims the race, before it writes anything to the client; the
 * others are aborted at once, and since their backend's peer just answered a request sent after
 * theirs, a loser still waiting for its headers is reported as a stall (routing/outlier.ts): a
 * frozen backend keeps being ejected as when its attempts ran into `first_byte_timeout`, while a
 * slow but live one, which answers other requests meanwhile, is not. A loser is settled as
 * abandoned, never as a failure of its backend: it was cancelled, not failed.
 * @module
 */
// From perf_hooks, not the global: `globalThis.performance` is a getter, a call on every use.
import { performance } from "node:perf_hooks";
import { ClientGone } from "../upstream/client-gone.js";
import type { StallWatcher } from "./deadline.js";

/** What `switchyard_hedges_total` counts a hedge as. */
export type HedgeOutcome =
  /** The hedge's answer was the one the client got. */
  | "won"
  /** The first attempt answered first; the hedge was cancelled. */
  | "lost"
  /** The hedge failed (or its backend's global cap refused it); the first attempt ran on. */
  | "failed"
  /** The client left, or both attempts ended without an answer. */
  | "abandoned"
  /** A hedge was due but no other backend was eligible, so none was sent. */
  | "no_backend";

export class AttemptRace {
  readonly #clientGone: ClientGone;
  readonly #entrants: RaceEntrant[] = [];
  #winner: RaceEntrant | undefined;

  constructor(clientGone: ClientGone) {
    this.#clientGone = clientGone;
  }

  /** The signal of one more attempt in the race. */
  enter(): RaceEntrant {
    const entrant = new RaceEntrant(this, this.#clientGone);
    this.#entrants.push(entrant);
    return entrant;
  }

  get winner(): RaceEntrant | undefined {
    return this.#winner;
  }

  /** True for the first entrant to claim (and again for it); the others are aborted as losers. */
  claim(entrant: RaceEntrant): boolean {
    if (this.#winner) return this.#winner === entrant;
    this.#winner = entrant;
    entrant.claimedAt = performance.now();
    // Only an attempt sent before the winner waited longer than the winner took: a hedge that
    // loses had the shorter wait, and its backend is not suspect for it.
    for (const other of this.#entrants)
      if (other !== entrant) other.lose(other.startedAt <= entrant.startedAt);
    return true;
  }

  /** The race is over: no entrant stays subscribed to the client's signal. */
  dispose(): void {
    for (const entrant of this.#entrants) entrant.dispose();
  }
}

/** One attempt's signal in a race: a ClientGone that also fires when the attempt lost. */
export class RaceEntrant extends ClientGone {
  readonly #race: AttemptRace;
  readonly #client: ClientGone;
  readonly #forward = () => this.abort();
  #watcher: StallWatcher | undefined;
  /** Aborted because another entrant answered first (not because the client left). */
  lost = false;
  /** When the attempt began (performance.now()). */
  readonly startedAt = performance.now();
  /** When its answer claimed the race; 0 until then. */
  claimedAt = 0;

  constructor(race: AttemptRace, client: ClientGone) {
    super();
    this.#race = race;
    this.#client = client;
    if (client.aborted) this.aborted = true;
    else client.on("abort", this.#forward);
  }

  /** The attempt that is told of a stall should this entrant lose while still waiting. */
  watch(watcher: StallWatcher): void {
    this.#watcher = watcher;
  }

  /** This attempt's answer is in: true when it is the first, and may be written to the client. */
  claim(): boolean {
    return this.#race.claim(this);
  }

  /** Another entrant won; `stalled`: this one waited longer and is reported as a stall. */
  lose(stalled: boolean): void {
    if (this.aborted) return;
    this.lost = true;
    // Before the abort: the attempt reports a stall only while it still holds its slot.
    if (stalled) this.#watcher?.onStall();
    this.abort();
  }

  dispose(): void {
    this.#client.off("abort", this.#forward);
  }
}
