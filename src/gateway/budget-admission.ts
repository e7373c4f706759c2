/**
 * Budgets on the inference routes: once a request is authenticated and admitted by its key's
 * limits, its worst case is reserved against its key's and its team's budgets (429 in the
 * client's protocol naming the budget and its reset when it does not fit), and when the answer is
 * over, whichever way, the reservation is settled to what the request used: the upstream's usage,
 * or, for a stream cut before its usage came, an estimate from the bytes the client received.
 * @module
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { GatewayConfig } from "../config/schema.js";
import type { BudgetOwner, Reservation } from "../usage/budgets.js";
import { describeRefusal } from "../usage/budgets.js";
import { PriceTable } from "../usage/prices.js";
import type { Client } from "./client-keys.js";
import type { GatewayContext } from "./context.js";
import { GatewayError } from "./errors.js";

/** Prompt tokens assumed per byte of request body: high for English (about 4 bytes a token), on the safe side. */
const PROMPT_TOKENS_PER_BYTE = 1 / 3;
/** Completion tokens assumed per byte the client received when no usage came: SSE framing makes it high. */
const OUTPUT_TOKENS_PER_BYTE = 1 / 4;

const tables = new WeakMap<GatewayConfig, PriceTable>();

/** The price table of this configuration (a reload brings a new one). */
export function pricesOf(config: GatewayConfig): PriceTable {
  let table = tables.get(config);
  if (!table) {
    table = PriceTable.fromConfig(config);
    tables.set(config, table);
  }
  return table;
}

export function budgetOwners(client: Client, config: GatewayConfig): BudgetOwner[] {
  const owners: BudgetOwner[] = [];
  if (client.budgets.length > 0) {
    owners.push({ scope: "key", id: client.id, label: `key '${client.name}'`, budgets: client.budgets });
  }
  const teamBudgets = client.team === undefined ? undefined : config.team_budgets[client.team];
  if (client.team !== undefined && teamBudgets && teamBudgets.length > 0) {
    owners.push({ scope: "team", id: client.team, label: `team '${client.team}'`, budgets: teamBudgets });
  }
  return owners;
}

/** Reserves the request's worst case; throws 429 when a budget has no room for it. */
export async function reserveBudget(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  client: Client,
  model: string,
): Promise<void> {
  // Counting tokens generates nothing: it spends no budget.
  if (request.endpoint?.name === "count_tokens") return;
  const owners = budgetOwners(client, ctx.config);
  if (owners.length === 0) return;
  const prices = pricesOf(ctx.config);
  const promptTokens = Math.ceil((request.rawBody?.length ?? 0) * PROMPT_TOKENS_PER_BYTE);
  const maxTokens =
    request.endpoint?.name === "embeddings"
      ? 0
      : (requestedMaxTokens(request.body) ?? ctx.config.budget_default_max_tokens);
  const decision = await ctx.budgets.reserve(owners, { model, promptTokens, maxTokens }, prices);
  if (!decision.ok) {
    ctx.metrics.budgetRefusals.inc(1, decision.refusal.owner.scope);
    const seconds = Math.max(1, Math.ceil((decision.refusal.resetAt - Date.now()) / 1000));
    throw new GatewayError("SWY_ERR_BUDGET_EXCEEDED", describeRefusal(decision.refusal), {
      headers: { "retry-after": String(seconds) },
    });
  }
  if (decision.reservation)
    settleWhenDone(ctx, request, reply, decision.reservation, promptTokens, maxTokens);
}

function settleWhenDone(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  reservation: Reservation,
  promptEstimate: number,
  maxTokens: number,
): void {
  const socket = request.raw.socket;
  const bytesBefore = socket?.bytesWritten ?? 0;
  // `close` comes once the answer is over, finished or cut, after the last usage was noted.
  reply.raw.once("close", () => {
    const entry = request.accessLog;
    const prices = pricesOf(ctx.config);
    let input = entry?.promptTokens ?? 0;
    let output = entry?.completionTokens ?? 0;
    // Cached input is priced as the ledger prices it, so the two agree on what a request cost.
    let cached = entry?.cachedTokens;
    if (entry?.answeredBy !== undefined && input === 0 && output === 0 && reply.statusCode < 300) {
      // An answer cut before its usage came still cost what was generated.
      const sent = (socket?.bytesWritten ?? bytesBefore) - bytesBefore;
      input = promptEstimate;
      output = Math.min(maxTokens, Math.ceil(sent * OUTPUT_TOKENS_PER_BYTE));
      cached = undefined;
    }
    ctx.budgets.settle(reservation, { input, output, cached }, prices).catch((error: unknown) => {
      ctx.logger.warn({ err: error }, "budget: a settlement failed; the reservation stays counted");
    });
  });
}

/** `max_tokens`, `max_completion_tokens` (chat) or `max_output_tokens` (Responses), when set. */
export function requestedMaxTokens(body: unknown): number | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const fields = body as Record<string, unknown>;
  for (const name of ["max_completion_tokens", "max_tokens", "max_output_tokens"]) {
    const value = fields[name];
    if (typeof value === "number" && Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  return undefined;
}
