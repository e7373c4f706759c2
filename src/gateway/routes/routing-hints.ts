/**
 * What a client can say about its own routing, read the same way by every inference route:
 * `?node=` to force a backend, `x-switchyard-debug: 1` to see the decision, the affinity key
 * sticky routing uses when the body names no user, and `x-switchyard-stream-resume`.
 *
 * Agent clients name their session themselves: Claude Code in `x-claude-code-session-id`, Codex in
 * `session-id` and `prompt_cache_key`. Keeping a session on one backend keeps its prompt cache warm.
 * @module
 */
import type { IncomingHttpHeaders } from "node:http";
import type { FastifyRequest } from "fastify";

export interface RoutingHints {
  forcedNode: string | undefined;
  debug: boolean;
  /**
   * A session header (`x-session-id`, `x-claude-code-session-id`, `session-id`), else the client's
   * API key: either keeps a client on one backend.
   */
  sessionHeader: string | undefined;
  /** `x-switchyard-stream-resume` as the client set it; undefined leaves it to the config. */
  resume: boolean | undefined;
}

/** Reads `request.headers` once: each read goes through fastify's getter and then Node's. */
export function routingHints(request: FastifyRequest): RoutingHints {
  const headers = request.headers;
  const node = (request.query as { node?: unknown }).node;
  return {
    forcedNode: typeof node === "string" && node.length > 0 ? node : undefined,
    debug: headers["x-switchyard-debug"] === "1",
    sessionHeader: sessionHeader(headers),
    resume: resumeHeader(headers["x-switchyard-stream-resume"]),
  };
}

/**
 * In order of preference: the gateway's own header first, then the agents' spellings. Each read
 * by its own name, not in a loop: one lookup site that sees three names is a megamorphic one.
 */
function sessionHeader(headers: IncomingHttpHeaders): string | undefined {
  const session =
    nonEmpty(headers["x-session-id"]) ??
    nonEmpty(headers["x-claude-code-session-id"]) ??
    nonEmpty(headers["session-id"]);
  return session ?? nonEmpty(headers["x-api-key"] ?? headers.authorization);
}

function nonEmpty(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** The body's `prompt_cache_key` (OpenAI's name for "requests sharing a prefix"), when it has one. */
export function promptCacheKey(body: Readonly<Record<string, unknown>>): string | undefined {
  const key = body.prompt_cache_key;
  return typeof key === "string" && key.length > 0 ? key : undefined;
}

/** Whether a broken stream may resume on another backend: the client's header, else the config. */
export function wantsResume(hints: Pick<RoutingHints, "resume">, configured: boolean): boolean {
  return hints.resume ?? configured;
}

function resumeHeader(header: string | string[] | undefined): boolean | undefined {
  if (header === "true" || header === "1") return true;
  if (header === "false" || header === "0") return false;
  return undefined;
}
