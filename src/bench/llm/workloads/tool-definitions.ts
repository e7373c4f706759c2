/**
 * Synthetic tool definitions, as an agent declares them with every request (Claude Code and Codex
 * send a few dozen, several thousand tokens in all): names, descriptions and JSON-schema parameters
 * drawn from the run's seeded random source.
 * @module
 */
import type { ToolDefinition } from "../request-body.js";
import { syntheticPrompt } from "../synthetic-prompt.js";
import { between } from "./shape.js";

const PARAMETER_TYPES = ["string", "integer", "boolean"] as const;

function parameters(random: () => number): Record<string, unknown> {
  const count = between(random, 1, 4);
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < count; i++)
    properties[`arg_${i}`] = {
      type: PARAMETER_TYPES[between(random, 0, PARAMETER_TYPES.length - 1)],
      description: syntheticPrompt(between(random, 5, 20), random),
    };
  return { type: "object", properties, required: ["arg_0"] };
}

/**
 * `count` tools of an agent named `agent` (names are unique per agent), each described in
 * `descriptionTokens` words (a range).
 */
export function syntheticTools(
  agent: string,
  count: number,
  random: () => number,
  descriptionTokens: readonly [number, number] = [40, 160],
): ToolDefinition[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${agent}_tool_${i}`,
    description: syntheticPrompt(between(random, ...descriptionTokens), random),
    parameters: parameters(random),
  }));
}
