/**
 * Routes that observe and steer the mock; never faulted, and not covered by `--unavailable-for`.
 *
 * - `GET /health` → `{status: "ok", id, version, models}` (this one *is* covered by `--unavailable-for`).
 * - `GET /mock/stats` → {@link StatsSnapshot}: `{id, version, requests: {total, chat, completions,
 *   embeddings, messages, count_tokens, tokenize, models, failed}, inflight, max_inflight_seen, keys: {<api key>: count},
 *   recent: [{route, model, stream, key, at}]}` (last 100). `total` counts the routes listed in `requests`
 *   (not /health or /mock/*); `failed` counts inference requests answered with an error status or dropped.
 * - `GET /mock/faults` → the current fault settings (camelCase) plus `unavailableForMs` left.
 * - `POST /mock/faults` → changes any subset of `firstTokenDelayMs, tokenDelayMs, failRate, failStatus,
 *   hangRate, dropRate, unavailableFor, reasoning, maxInflight, keyStatus` (`{"<api key>": status}`),
 *   `retryAfterSeconds` (of injected 429/503 answers). Keys are the options' camelCase names;
 *   snake_case spellings (`fail_rate`) are accepted too. Unknown keys or bad values → 400, nothing changed.
 *   Answers like `GET /mock/faults`.
 * - `POST /mock/reset` → clears the stats (not the faults, not the PRNG) and answers the empty snapshot.
 * @module
 */
import type { FastifyInstance } from "fastify";
import type { MockContext } from "./context.js";
import { sendError } from "./errors.js";
import { formatIssues, runtimeFaultsSchema } from "./options.js";

function camelCaseKeys(body: unknown): unknown {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return body;
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => [
      key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()),
      value,
    ]),
  );
}

export function registerControlRoutes(app: FastifyInstance, context: MockContext): void {
  app.get("/health", async () => ({
    status: "ok",
    id: context.id,
    version: context.options.version,
    models: [...context.models],
  }));

  app.get("/mock/stats", async () => context.stats.snapshot(context.id, context.options.version));

  app.get("/mock/faults", async () => context.faults.describe());

  app.post("/mock/faults", async (request, reply) => {
    const parsed = runtimeFaultsSchema.safeParse(camelCaseKeys(request.body ?? {}));
    if (!parsed.success) return sendError(reply, "openai", 400, formatIssues(parsed.error));
    context.faults.update(parsed.data);
    return context.faults.describe();
  });

  app.post("/mock/reset", async () => {
    context.stats.reset();
    return context.stats.snapshot(context.id, context.options.version);
  });
}
