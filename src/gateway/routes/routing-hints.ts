/**
 * What a client can say about its own routing, read the same way by every inference route:
 * `?node=` to force a backend, `x-switchyard-debug: 1` to see the decision, the affinity key
 * sticky routing uses when the body names no user, and `x-switchyard-stream-resume`.
 *
 * Agent clients name their session themselves: Claude Code in `x-claude-code-session-id`, Codex in
 * `session-id` and `prompt_cache_key`. Keeping a session on one backend keeps its prompt cache warm.
 * @module
 */
import type { FastifyRequest } from "fastify";

export interface RoutingHints {
  forcedNode: string | undefined;
  debug: boolean;
  /**
   * A session header (`x-session-id`, `x-claude-code-session-id`, `session-id`), else the client's
   * API key: either keeps a client on one backend.
   */
  sessionHeader: string | undefined;
}

export function routingHints(request: FastifyRequest): RoutingHints {
  const node = (request.query as { node?: unknown }).node;
  return {
    forcedNode: typeof node === "string" && node.length > 0 ? node : undefined,
    debug: request.headers["x-switchyard-debug"] === "1",
    sessionHeader: sessionHeader(request),
  };
}

/** In order of preference: the gateway's own header first, then the agents' spellings. */
const SESSION_HEADERS = ["x-session-id", "x-claude-code-session-id", "session-id"] as const;

function sessionHeader(request: FastifyRequest): string | undefined {
  for (const name of SESSION_HEADERS) {
    const session = request.headers[name];
    if (typeof session === "string" && session.length > 0) return session;
  }
  const key = request.headers["x-api-key"] ?? request.headers.authorization;
  return typeof key === "string" && key.length > 0 ? key : undefined;
}

/** The body's `prompt_cache_key` (OpenAI's name for "requests sharing a prefix"), when it has one. */
export function promptCacheKey(body: Readonly<Record<string, unknown>>): string | undefined {
  const key = body.prompt_cache_key;
  return typeof key === "string" && key.length > 0 ? key : undefined;
}

/** Whether a broken stream may resume on another backend: the client's header, else the config. */
export function wantsResume(request: FastifyRequest, configured: boolean): boolean {
  const header = request.headers["x-switchyard-stream-resume"];
  if (header === "true" || header === "1") return true;
  if (header === "false" || header === "0") return false;
  return configured;
}
