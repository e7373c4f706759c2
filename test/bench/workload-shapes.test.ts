import { describe, expect, it } from "vitest";
import { parseLength } from "../../src/bench/llm/lengths.js";
import { SESSION_HEADER, Workload } from "../../src/bench/llm/workload.js";
import { AGENT_SESSIONS, AgentSessionsShape } from "../../src/bench/llm/workloads/agent-sessions.js";
import { ChatShape } from "../../src/bench/llm/workloads/chat.js";
import { HOT_PREFIX, HotPrefixShape } from "../../src/bench/llm/workloads/hot-prefix.js";
import type { PromptShape, ShapedPrompt } from "../../src/bench/llm/workloads/shape.js";
import { seededRandom } from "../../src/random/seeded-random.js";

function take(shape: PromptShape, count: number): ShapedPrompt[] {
  return Array.from({ length: count }, () => shape.next());
}

function words(text: string): number {
  return text.split(" ").length;
}

describe("shaped workloads are reproducible", () => {
  const shapes = {
    "agent-sessions": (seed: number) => new AgentSessionsShape(seededRandom(seed), 8),
    chat: (seed: number) => new ChatShape(seededRandom(seed)),
    "hot-prefix": (seed: number) => new HotPrefixShape(seededRandom(seed)),
  };
  for (const [name, make] of Object.entries(shapes))
    it(`${name}: the same seed gives the same requests, another seed others`, () => {
      expect(take(make(7), 40)).toEqual(take(make(7), 40));
      expect(take(make(8), 5)).not.toEqual(take(make(7), 5));
    });
});

describe("agent sessions", () => {
  const sessions = 8;
  const plans = take(new AgentSessionsShape(seededRandom(3), sessions), 400);

  it("share a few long system prompts and their tools across sessions", () => {
    const systems = new Set(plans.map((plan) => plan.messages[0]!.content));
    expect(systems.size).toBeGreaterThan(1);
    expect(systems.size).toBeLessThanOrEqual(AGENT_SESSIONS.agents);
    for (const system of systems)
      expect(words(system)).toBeGreaterThanOrEqual(AGENT_SESSIONS.systemTokens[0]);
    for (const plan of plans) {
      expect(plan.messages[0]!.role).toBe("system");
      expect(plan.tools!.length).toBeGreaterThanOrEqual(AGENT_SESSIONS.tools[0]);
      expect(plan.session).toMatch(/^session-\d+$/);
    }
    const toolsBySystem = new Map(plans.map((plan) => [plan.messages[0]!.content, plan.tools]));
    for (const plan of plans) expect(plan.tools).toEqual(toolsBySystem.get(plan.messages[0]!.content));
  });

  it("grow turn by turn: each turn repeats the last and appends a reply and a tool result", () => {
    const bySession = new Map<string, { plan: ShapedPrompt; index: number }[]>();
    plans.forEach((plan, index) => {
      const turns = bySession.get(plan.session!) ?? [];
      turns.push({ plan, index });
      bySession.set(plan.session!, turns);
    });
    expect(bySession.size).toBeGreaterThan(sessions);
    for (const turns of bySession.values()) {
      expect(turns[0]!.plan.messages.map((m) => m.role)).toEqual(["system", "user"]);
      for (let i = 1; i < turns.length; i++) {
        const [before, after] = [turns[i - 1]!, turns[i]!];
        expect(after.plan.messages.slice(0, before.plan.messages.length)).toEqual(before.plan.messages);
        const added = after.plan.messages.slice(before.plan.messages.length);
        expect(added.map((m) => m.role)).toEqual(["assistant", "user"]);
        expect(words(added[0]!.content)).toBe(before.plan.outputTokens);
        expect(added[1]!.content).toMatch(/^Tool result: /);
        // Think time: at least half a round of other sessions' turns in between.
        expect(after.index - before.index).toBeGreaterThanOrEqual(sessions / 2);
      }
    }
    const finished = [...bySession.values()].slice(0, -sessions);
    for (const turns of finished) {
      expect(turns.length).toBeGreaterThanOrEqual(AGENT_SESSIONS.turns[0]);
      expect(turns.length).toBeLessThanOrEqual(AGENT_SESSIONS.turns[1]);
    }
  });
});

describe("agent sessions in a closed loop (one per worker)", () => {
  const workers = 6;
  const turnsEach = 30;
  function byWorker(order: number[]): Map<number, ShapedPrompt[]> {
    const shape = new AgentSessionsShape(seededRandom(11), workers);
    const plans = new Map<number, ShapedPrompt[]>();
    for (const worker of order) plans.set(worker, [...(plans.get(worker) ?? []), shape.nextFor(worker)]);
    return plans;
  }
  const inTurn = Array.from({ length: workers * turnsEach }, (_, i) => i % workers);
  const shuffled = [...inTurn].sort((a, b) => ((a * 7 + b * 3) % 5) - 2 || a - b);

  it("gives each worker the same turns whatever order the workers ask in", () => {
    const first = byWorker(inTurn);
    const second = byWorker(shuffled);
    for (let worker = 0; worker < workers; worker++) expect(second.get(worker)).toEqual(first.get(worker));
    expect(first.get(0)).not.toEqual(first.get(1));
    // The first sessions start at different ages: the fleet starts in its steady state.
    const firstLengths = new Set([...first.values()].map((plans) => plans[0]!.messages.length));
    expect(firstLengths.size).toBeGreaterThan(1);
  });

  it("carries one session at a time per worker, turn after turn, then opens the next", () => {
    const allSessions = new Set<string>();
    for (const [worker, plans] of byWorker(inTurn)) {
      const sessions = [...new Set(plans.map((plan) => plan.session!))];
      expect(sessions.length).toBeGreaterThan(1);
      for (const session of sessions) {
        expect(session).toMatch(new RegExp(`^session-w${worker + 1}-\\d+$`));
        expect(allSessions.has(session)).toBe(false);
        allSessions.add(session);
        const turns = plans.filter((plan) => plan.session === session);
        for (let i = 1; i < turns.length; i++)
          expect(turns[i]!.messages.slice(0, turns[i - 1]!.messages.length)).toEqual(turns[i - 1]!.messages);
      }
      // Only a worker's first session may open mid-life (its history already grown); later ones open afresh.
      for (const session of sessions.slice(1))
        expect(plans.find((plan) => plan.session === session)!.messages.map((m) => m.role)).toEqual([
          "system",
          "user",
        ]);
      // A worker's sessions follow one another: never back to an earlier one.
      const order = plans.map((plan) => sessions.indexOf(plan.session!));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });
});

describe("Workload think time", () => {
  it("is drawn per worker within ±50 % of the mean, the same for the same seed", () => {
    const spec = {
      protocol: "openai" as const,
      stream: true,
      models: [{ model: "m", share: 1 }],
      promptTokens: parseLength("10"),
      outputTokens: parseLength("10"),
      maxTokens: 100,
      seed: 4,
      thinkMs: 1000,
    };
    const a = new Workload(spec);
    const b = new Workload(spec);
    const draws = Array.from({ length: 50 }, (_, i) => a.thinkTime(i % 3));
    expect(Array.from({ length: 50 }, (_, i) => b.thinkTime(i % 3))).toEqual(draws);
    for (const draw of draws) {
      expect(draw).toBeGreaterThanOrEqual(500);
      expect(draw).toBeLessThan(1500);
    }
    expect(new Workload({ ...spec, thinkMs: undefined }).thinkTime(0)).toBe(0);
  });
});

describe("chat", () => {
  it("has no shared prefix: no two prompts open with the same words", () => {
    const plans = take(new ChatShape(seededRandom(5)), 200);
    const openings = new Set(
      plans.map((plan) => plan.messages[0]!.content.split(" ").slice(0, 12).join(" ")),
    );
    expect(openings.size).toBe(plans.length);
    for (const plan of plans) {
      expect(plan.messages).toHaveLength(1);
      expect(plan.messages[0]!.role).toBe("user");
      expect(plan.session).toBeUndefined();
    }
  });
});

describe("hot prefix", () => {
  it("opens most requests with one long system prompt, each with its own question", () => {
    const plans = take(new HotPrefixShape(seededRandom(9)), 400);
    const hot = plans.filter((plan) => plan.messages[0]!.role === "system");
    expect(hot.length / plans.length).toBeGreaterThan(HOT_PREFIX.share - 0.1);
    expect(hot.length / plans.length).toBeLessThan(HOT_PREFIX.share + 0.1);
    expect(new Set(hot.map((plan) => plan.messages[0]!.content)).size).toBe(1);
    expect(words(hot[0]!.messages[0]!.content)).toBe(HOT_PREFIX.prefixTokens);
    expect(new Set(hot.map((plan) => plan.messages[1]!.content)).size).toBe(hot.length);
  });
});

describe("Workload with a shape", () => {
  const spec = {
    stream: true,
    models: [{ model: "m", share: 1 }],
    promptTokens: parseLength("10"),
    outputTokens: parseLength("10"),
    maxTokens: 100,
    seed: 4,
    workload: "agent-sessions" as const,
    shape: { sessions: 4 },
  };

  it("sends the session id and the tools in the protocol's shape, capping max_tokens", () => {
    const openai = new Workload({ ...spec, protocol: "openai" }).at(0);
    expect(openai.spec.headers).toMatchObject({ [SESSION_HEADER]: expect.stringMatching(/^session-\d+$/) });
    const body = JSON.parse(String(openai.spec.body));
    expect(body.tools[0]).toMatchObject({ type: "function", function: { name: expect.any(String) } });
    expect(body.tools[0].function.parameters).toMatchObject({ type: "object" });
    expect(body.max_tokens).toBeLessThanOrEqual(100);

    const anthropic = JSON.parse(String(new Workload({ ...spec, protocol: "anthropic" }).at(0).spec.body));
    expect(anthropic.tools[0]).toMatchObject({ name: expect.any(String), input_schema: { type: "object" } });
    expect(anthropic.system.split(" ").length).toBeGreaterThanOrEqual(AGENT_SESSIONS.systemTokens[0]);

    const responses = JSON.parse(String(new Workload({ ...spec, protocol: "responses" }).at(0).spec.body));
    expect(responses.tools[0]).toMatchObject({ type: "function", parameters: { type: "object" } });
  });
});
