/**
 * Anthropic's thinking budget (tokens) ⇄ OpenAI's `reasoning_effort` (a level).
 *
 * | effort  | budget sent to Anthropic | budgets read as this effort |
 * |---------|--------------------------|-----------------------------|
 * | minimal | 1,024 (Anthropic's floor) | —                          |
 * | low     | 2,048                    | below 4,096                 |
 * | medium  | 8,192                    | 4,096 – 16,383              |
 * | high    | 16,384                   | 16,384 and above            |
 * | xhigh   | 24,576                   | —                           |
 *
 * Each level's budget falls in its own band, so effort → budget → effort is the identity for
 * low/medium/high; budget → effort → budget is not (a level holds many budgets). Budgets stay small
 * enough that budget + the default answer allowance fits every current Claude model's output limit.
 * Budgets are only ever mapped to low/medium/high because `minimal` and `xhigh` are refused by most
 * reasoning models that accept the other three.
 * @module
 */
import type { AnthropicEffort } from "../anthropic/types.js";
import type { OpenAIReasoningEffort } from "./openai-types.js";

/** Anthropic refuses a smaller thinking budget. */
export const MIN_THINKING_BUDGET = 1024;

/** The thinking budget sent to Anthropic for each effort (first column of the table). */
export const BUDGET_FOR_EFFORT: Readonly<Record<Exclude<OpenAIReasoningEffort, "none">, number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
  xhigh: 24576,
};

/** Lower bounds of the medium and high bands. */
export const MEDIUM_BUDGET_FROM = 4096;
export const HIGH_BUDGET_FROM = 16384;

/** The efforts a budget maps to: the levels every OpenAI reasoning model accepts. */
export type BudgetEffort = "low" | "medium" | "high";

/** The effort whose band holds `budget` (second column of the table). */
export function effortForBudget(budget: number): BudgetEffort {
  if (budget >= HIGH_BUDGET_FROM) return "high";
  return budget >= MEDIUM_BUDGET_FROM ? "medium" : "low";
}

/** The budget for an effort; `undefined` for `none`. An unknown level gets the medium budget. */
export function budgetForEffort(effort: string): number | undefined {
  if (effort === "none") return undefined;
  return Object.hasOwn(BUDGET_FOR_EFFORT, effort)
    ? BUDGET_FOR_EFFORT[effort as keyof typeof BUDGET_FOR_EFFORT]
    : BUDGET_FOR_EFFORT.medium;
}

/** Anthropic's adaptive-thinking effort as an OpenAI level; levels above `high` are capped there. */
export function effortForAdaptive(effort: AnthropicEffort | null | undefined): BudgetEffort {
  if (effort === "low" || effort === "medium") return effort;
  return effort === undefined || effort === null ? "medium" : "high";
}
