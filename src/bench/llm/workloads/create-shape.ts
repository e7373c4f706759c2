/**
 * The shape `--workload` names, or none for the plain synthetic workload.
 * @module
 */
import { AgentSessionsShape } from "./agent-sessions.js";
import { ChatShape } from "./chat.js";
import { HotPrefixShape } from "./hot-prefix.js";
import type { PromptShape, WorkloadName } from "./shape.js";

export interface ShapeOptions {
  /** Agent sessions open at once. */
  sessions?: number | undefined;
}

export function createShape(
  name: WorkloadName,
  random: () => number,
  options: ShapeOptions = {},
): PromptShape | undefined {
  switch (name) {
    case "synthetic":
      return undefined;
    case "agent-sessions":
      return new AgentSessionsShape(random, options.sessions);
    case "chat":
      return new ChatShape(random);
    case "hot-prefix":
      return new HotPrefixShape(random);
  }
}
