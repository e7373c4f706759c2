/**
 * Agent sessions: what Claude Code, Codex and their kind send. A few agents, each with a system
 * prompt of several thousand tokens and its tool definitions, identical in every session of that
 * agent; each session opens with a task and grows turn by turn: the agent's reply, then a tool
 * result, appended to everything before. Consecutive turns of a session share all but their last
 * few hundred tokens, and every session of an agent shares its first several thousand, so where a
 * router sends a turn decides how much prefill its engine can skip.
 *
 * Sessions run interleaved: `sessions` are open at once, and each request is the next turn of one
 * of them, drawn at random among those whose last turn is at least half a round (`sessions / 2`
 * requests) back. That gap is the think time between turns: at a rate of R requests/s, about
 * `sessions / R` seconds on average and never under half that. A session that has had its last
 * turn is replaced by a new one.
 * @module
 */
import type { ChatMessage, ToolDefinition } from "../request-body.js";
import { syntheticPrompt } from "../synthetic-prompt.js";
import { between, type PromptShape, type ShapedPrompt } from "./shape.js";
import { syntheticTools } from "./tool-definitions.js";

export const AGENT_SESSIONS = {
  agents: 3,
  systemTokens: [3000, 6000],
  tools: [8, 16],
  turns: [4, 12],
  taskTokens: [30, 200],
  toolResultTokens: [100, 1500],
  output: [30, 300],
  /** Sessions open at once, unless the run says otherwise (`--sessions`). */
  sessions: 16,
} as const;

interface Agent {
  system: string;
  tools: ToolDefinition[];
}

interface Session {
  id: string;
  agent: Agent;
  messages: ChatMessage[];
  turnsLeft: number;
  /** The reply of the last turn sent, appended before the next tool result. */
  lastOutputTokens: number;
  /** Index (in this shape's sequence) of its last turn; -∞ before the first. */
  lastAt: number;
}

export class AgentSessionsShape implements PromptShape {
  readonly #random: () => number;
  readonly #agents: Agent[];
  readonly #slots: Session[];
  readonly #minGap: number;
  #sessionCount = 0;
  #index = 0;

  constructor(random: () => number, sessions: number = AGENT_SESSIONS.sessions) {
    if (!(sessions >= 1)) throw new RangeError("agent sessions: at least one session at a time");
    this.#random = random;
    this.#agents = Array.from({ length: AGENT_SESSIONS.agents }, (_, i) => ({
      system: syntheticPrompt(between(random, ...AGENT_SESSIONS.systemTokens), random),
      tools: syntheticTools(`agent${i}`, between(random, ...AGENT_SESSIONS.tools), random),
    }));
    this.#minGap = Math.floor(sessions / 2);
    this.#slots = Array.from({ length: sessions }, () => this.#open());
  }

  next(): ShapedPrompt {
    const index = this.#index++;
    const eligible = this.#slots.flatMap((session, slot) =>
      index - session.lastAt >= this.#minGap ? [slot] : [],
    );
    // At most minGap − 1 slots were used in the last minGap − 1 requests: some slot is always eligible.
    const slot = eligible[between(this.#random, 0, eligible.length - 1)]!;
    let session = this.#slots[slot]!;
    if (session.turnsLeft === 0) {
      session = this.#open();
      this.#slots[slot] = session;
    }
    return this.#turn(session, index);
  }

  #open(): Session {
    const random = this.#random;
    const agent = this.#agents[between(random, 0, this.#agents.length - 1)]!;
    return {
      id: `session-${++this.#sessionCount}`,
      agent,
      messages: [
        { role: "system", content: agent.system },
        { role: "user", content: syntheticPrompt(between(random, ...AGENT_SESSIONS.taskTokens), random) },
      ],
      turnsLeft: between(random, ...AGENT_SESSIONS.turns),
      lastOutputTokens: 0,
      lastAt: Number.NEGATIVE_INFINITY,
    };
  }

  #turn(session: Session, index: number): ShapedPrompt {
    const random = this.#random;
    if (session.lastOutputTokens > 0)
      session.messages.push(
        { role: "assistant", content: syntheticPrompt(session.lastOutputTokens, random) },
        {
          role: "user",
          content: `Tool result: ${syntheticPrompt(between(random, ...AGENT_SESSIONS.toolResultTokens), random)}`,
        },
      );
    const outputTokens = between(random, ...AGENT_SESSIONS.output);
    session.lastOutputTokens = outputTokens;
    session.lastAt = index;
    session.turnsLeft--;
    return {
      messages: [...session.messages],
      tools: session.agent.tools,
      outputTokens,
      session: session.id,
    };
  }
}
