/**
 * Recent routing decisions for the console: for a sample of requests, each pick the pipeline made
 * (strategy, candidates, the backends passed by and why, the one picked, the failure that led to
 * the next pick) and how the request ended. Kept in a fixed ring, and recorded only while someone
 * is looking: a console that read the ring within the last minute turns sampling on, so a gateway
 * nobody watches pays one timestamp comparison per request.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** One pick among the request's candidates. */
export interface RoutePick {
  strategy: string;
  picked: string;
  candidates: string[];
  /** `backend: reason` for each backend serving the model that was passed by. */
  excluded: readonly string[];
  /** Why this attempt failed, when it did (the next pick follows). */
  failure?: string;
}

export interface RouteDecision {
  /** Increasing; a reader asks for what came after the last one it saw. */
  seq: number;
  at: string;
  requestId: string;
  endpoint: string;
  model: string | undefined;
  status: number;
  durationMs: number;
  answeredBy: string | undefined;
  picks: RoutePick[];
}

/** The decisions kept; older ones fall off. */
export const DECISIONS_KEPT = 500;
/** Requests recorded per second at most, so a busy gateway samples rather than records each one. */
export const DECISIONS_PER_SECOND = 50;
/** How long after the last read sampling stays on. */
const WATCHED_FOR_MS = 60_000;

/** A request's trail while it is routed; null on requests that are not sampled. */
export class RouteTrail {
  readonly picks: RoutePick[] = [];
  /** Where the trail is filed when the request ends. */
  readonly decisions: RouteDecisions;

  constructor(decisions: RouteDecisions) {
    this.decisions = decisions;
  }

  pick(pick: RoutePick): void {
    this.picks.push(pick);
  }

  /** The last pick's attempt failed (the pipeline picks again or gives up). */
  failed(cause: string): void {
    const last = this.picks.at(-1);
    if (last) last.failure = cause;
  }
}

declare module "fastify" {
  interface FastifyRequest {
    routeTrail: RouteTrail | null;
  }
}

export class RouteDecisions {
  readonly #ring: RouteDecision[] = [];
  #seq = 0;
  #watchedUntil = 0;
  #windowStart = 0;
  #inWindow = 0;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A trail for this request when it is sampled; null (nothing recorded) otherwise. */
  begin(): RouteTrail | null {
    const now = this.#now();
    if (now > this.#watchedUntil) return null;
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#inWindow = 0;
    }
    if (this.#inWindow >= DECISIONS_PER_SECOND) return null;
    this.#inWindow++;
    return new RouteTrail(this);
  }

  record(decision: Omit<RouteDecision, "seq" | "at">): void {
    this.#ring.push({ seq: ++this.#seq, at: new Date(this.#now()).toISOString(), ...decision });
    if (this.#ring.length > DECISIONS_KEPT) this.#ring.shift();
  }

  /** Decisions after `afterSeq`, oldest first; reading turns sampling on for a while. */
  since(afterSeq: number): RouteDecision[] {
    this.#watchedUntil = this.#now() + WATCHED_FOR_MS;
    const from = this.#ring.findIndex((decision) => decision.seq > afterSeq);
    return from < 0 ? [] : this.#ring.slice(from);
  }
}

/** Decorated on every request (null), so requests keep one shape whether sampled or not. */
export function decorateRouteTrail(app: FastifyInstance): void {
  app.decorateRequest("routeTrail", null);
}

/** Files the request's trail, if it has one, with how the request ended. */
export function endRouteTrail(request: FastifyRequest, reply: FastifyReply, endpoint: string): void {
  const trail = request.routeTrail;
  if (!trail) return;
  request.routeTrail = null;
  const entry = request.accessLog;
  trail.decisions.record({
    requestId: request.id,
    endpoint,
    model: entry?.model ?? requestedModel(request.body),
    status: reply.raw.statusCode,
    durationMs: Math.round(reply.elapsedTime * 100) / 100,
    answeredBy: entry?.answeredBy,
    picks: trail.picks,
  });
}

function requestedModel(body: unknown): string | undefined {
  const model = (body as { model?: unknown } | undefined)?.model;
  return typeof model === "string" ? model.slice(0, 200) : undefined;
}
