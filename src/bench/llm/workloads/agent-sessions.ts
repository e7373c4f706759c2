/**
 * Agent sessions: what Claude Code, Codex and their kind send. A few agents, each with a system
 * prompt of several thousand tokens and its tool definitions, identical in every session of that
 * agent; each session opens with a task and grows turn by turn: the agent's reply, then a tool
 * result, appended to everything before. Consecutive turns of a session share all but their last
 * few hundred tokens, and every session of an agent shares its first several thousand, so where a
 * router sends a turn decides how much prefill its engine can skip.
 *
 * Two ways to run them:
 * - **Closed loop** (`nextFor(worker)`): each load worker is one agent. It sends a turn, waits for
 *   the answer, thinks (the load run's pause), and sends the next turn of the same session; a
 *   finished session is followed by a new one on the same worker. This is how agents load a fleet:
 *   many concurrent sessions, each at most one turn in flight, so throughput is a capacity figure.
 *   Each worker draws from its own seeded stream, so its turns are the same whatever order the
 *   workers' answers come back in.
 * - **Interleaved** (`next()`, the open loop): `sessions` are open at once, and each request is the
 *   next turn of one of them, drawn at random among those whose last turn is at least half a round
 *   (`sessions / 2` requests) back. That gap is the think time between turns: at a rate of R
 *   requests/s, about `sessions / R` seconds on average and never under half that.
 * @module
 */
import { seededRandom } from "../../../random/seeded-random.js";
import type { ChatMessage, ToolDefinition } from "../request-body.js";
import { syntheticPrompt } from "../synthetic-prompt.js";
import { between, type PromptShape, type ShapedPrompt } from "./shape.js";
import { syntheticTools } from "./tool-definitions.js";

/**
 * Sized after Claude Code, the agent most of this traffic comes from. Its `/context` command shows
 * the fixed part of every request: a system prompt of 2.6–3.3k tokens and built-in tool definitions
 * of 11.6–17.6k tokens (reports of Claude Code 1.x and 2.x, 2025–2026), plus memory files; a working
 * session's messages reach tens of kilotokens (30.5k in one such report) before auto-compaction near
 * 160k. Each turn appends the agent's reply (a tool call with a little reasoning: a few hundred
 * tokens) and the tool's result (a file read, a grep, a command's output: hundreds to a few
 * thousand tokens). Codex CLI's requests have the same shape. Sessions here stop at 40 turns, about
 * 90k tokens, inside Llama 3.1's 128k context.
 */
export const AGENT_SESSIONS = {
  agents: 3,
  /** The system prompt and memory files. */
  systemTokens: [2500, 6000],
  tools: [16, 24],
  /** Per tool: 16–24 tools of this make the 11–18k tokens of tool definitions reported. */
  toolDescriptionTokens: [350, 800],
  turns: [10, 40],
  taskTokens: [30, 200],
  toolResultTokens: [100, 3000],
  output: [50, 400],
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

/** A closed-loop worker: its own random stream and the session it is in. */
interface Worker {
  random: () => number;
  session: Session | undefined;
  opened: number;
}

export class AgentSessionsShape implements PromptShape {
  readonly #random: () => number;
  readonly #agents: Agent[];
  readonly #slots: Session[];
  readonly #minGap: number;
  readonly #workers = new Map<number, Worker>();
  /** Seeds the workers' streams; drawn from the run's stream at the first closed-loop turn. */
  #workerSeed: number | undefined;
  #sessionCount = 0;
  #index = 0;

  constructor(random: () => number, sessions: number = AGENT_SESSIONS.sessions) {
    if (!(sessions >= 1)) throw new RangeError("agent sessions: at least one session at a time");
    this.#random = random;
    this.#agents = Array.from({ length: AGENT_SESSIONS.agents }, (_, i) => ({
      system: syntheticPrompt(between(random, ...AGENT_SESSIONS.systemTokens), random),
      tools: syntheticTools(
        `agent${i}`,
        between(random, ...AGENT_SESSIONS.tools),
        random,
        AGENT_SESSIONS.toolDescriptionTokens,
      ),
    }));
    this.#minGap = Math.floor(sessions / 2);
    this.#slots = Array.from({ length: sessions }, () =>
      this.#open(random, `session-${++this.#sessionCount}`),
    );
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
      session = this.#open(this.#random, `session-${++this.#sessionCount}`);
      this.#slots[slot] = session;
    }
    return this.#turn(session, this.#random, index);
  }

  /**
   * The next turn of closed-loop worker `worker`'s session (a new session when it has ended). A
   * worker's first session starts at a random turn of its life, the turns before it already in its
   * history (never sent, so cold on every engine, as a session arriving from elsewhere): the fleet
   * is seen in its steady state, sessions of every age at once, rather than all of them young
   * together.
   */
  nextFor(worker: number): ShapedPrompt {
    const state = this.#worker(worker);
    if (state.session === undefined || state.session.turnsLeft === 0) {
      const first = state.opened === 0;
      state.session = this.#open(state.random, `session-w${worker + 1}-${++state.opened}`);
      if (first) {
        const lived = between(state.random, 0, state.session.turnsLeft - 1);
        for (let turn = 0; turn < lived; turn++) this.#turn(state.session, state.random, this.#index);
      }
    }
    return this.#turn(state.session, state.random, this.#index++);
  }

  #worker(worker: number): Worker {
    let state = this.#workers.get(worker);
    if (state === undefined) {
      // A golden-ratio step apart: distinct, well-mixed seeds for neighbouring workers.
      this.#workerSeed ??= Math.floor(this.#random() * 2 ** 32);
      const seed = (this.#workerSeed + Math.imul(worker + 1, 0x9e3779b9)) >>> 0;
      state = { random: seededRandom(seed), session: undefined, opened: 0 };
      this.#workers.set(worker, state);
    }
    return state;
  }

  #open(random: () => number, id: string): Session {
    const agent = this.#agents[between(random, 0, this.#agents.length - 1)]!;
    return {
      id,
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

  #turn(session: Session, random: () => number, index: number): ShapedPrompt {
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
