/**
 * Routing quality without timings: agent sessions (two long shared system prompts, conversations
 * that grow turn by turn) replayed through each strategy in front of four model engines whose
 * prefix caches are exact LRU block caches. Counts how much of each prompt the chosen engine already
 * held; the figures, not speed, are compared.
 */
import { describe, expect, it } from "vitest";
import { lazyPromptBlocks, type PromptParts } from "../../../src/protocol/prompt-blocks.js";
import { promptPrefix } from "../../../src/protocol/prompt-prefix.js";
import type { BackendView } from "../../../src/routing/backend.js";
import { CachedBlocks } from "../../../src/routing/strategies/cached-blocks.js";
import { createStrategy } from "../../../src/routing/strategies/factory.js";
import type { Strategy } from "../../../src/routing/strategies/strategy.js";
import { candidates, seededRandom } from "./conformance.js";

const ENGINES = 4;
/** Each engine holds 600 blocks of 256 bytes: together less than the sessions' working set. */
const ENGINE_BLOCKS = 600;
const SESSIONS = 32;
const TURNS = 800;
/** Requests in flight at once: the oldest finishes when a new one starts. */
const CONCURRENCY = 12;

const SYSTEMS = [0, 1].map((index) => `System prompt ${index}: follow the house rules. `.repeat(120));

function sessionPrompt(session: number, turns: number): PromptParts {
  const messages = Array.from({ length: turns }, (_, turn) => ({
    role: turn % 2 === 0 ? "user" : "assistant",
    content: `session ${session}, turn ${turn}: ${"tool output and talk ".repeat(25)}`,
  }));
  return { leading: SYSTEMS[session % 2], messages };
}

interface Replay {
  /** Share of prompt blocks the chosen engine already held. */
  hitRate: number;
  /** Highest load any engine carried, over the mean load at that moment, at moments of real load. */
  worstLoadRatio: number;
}

function replay(strategy: Strategy): Replay {
  const random = seededRandom(7);
  const engines = Array.from({ length: ENGINES }, () => new CachedBlocks(ENGINE_BLOCKS));
  const turns = new Array<number>(SESSIONS).fill(0);
  const inflight = new Array<number>(ENGINES).fill(0);
  const running: number[] = [];
  let held = 0;
  let total = 0;
  let worst = 0;
  for (let step = 0; step < TURNS; step++) {
    if (running.length >= CONCURRENCY) inflight[running.shift()!]!--;
    const session = Math.floor(random() * SESSIONS);
    turns[session]! += 2;
    const prompt = sessionPrompt(session, turns[session]! - 1);
    const blocks = lazyPromptBlocks(prompt, "m");
    const pool: BackendView[] = candidates(ENGINES).map((backend, index) => ({
      ...backend,
      inflight: inflight[index]!,
    }));
    const chosen = strategy.pick(pool, {
      model: "m",
      promptPrefix: promptPrefix(prompt.leading, prompt.messages as unknown[]),
      promptBlocks: blocks,
    })!;
    const engine = Number(chosen.id.slice(1));
    const promptBlocks = blocks(256);
    held += engines[engine]!.matchLength(promptBlocks);
    total += promptBlocks.length;
    engines[engine]!.add(promptBlocks);
    inflight[engine]!++;
    running.push(engine);
    const sum = inflight.reduce((a, b) => a + b, 0);
    if (sum >= ENGINES * 2) worst = Math.max(worst, Math.max(...inflight) / (sum / ENGINES));
  }
  return { hitRate: held / total, worstLoadRatio: worst };
}

describe("prefix_aware on agent sessions", () => {
  const results = Object.fromEntries(
    ["prefix_aware", "prefix_cache", "least_loaded", "round_robin"].map((name) => [
      name,
      replay(createStrategy(name, { prefixCacheBlocks: ENGINE_BLOCKS })),
    ]),
  );

  it("finds more of each prompt already cached than the other strategies", () => {
    const { prefix_aware: aware, prefix_cache: first256, least_loaded: leastLoaded, round_robin } = results;
    // Seeded, so these are fixed figures (0.61, 0.46, 0.36, 0.36 when written); the caches hold only
    // part of the sessions' working set, so even perfect routing misses some.
    expect(aware!.hitRate).toBeGreaterThan(0.55);
    expect(aware!.hitRate).toBeGreaterThan(first256!.hitRate + 0.1);
    expect(aware!.hitRate).toBeGreaterThan(leastLoaded!.hitRate + 0.2);
    expect(aware!.hitRate).toBeGreaterThan(round_robin!.hitRate + 0.2);
  });

  it("keeps load within its bound while doing so", () => {
    // ceil(1.25 × mean) at a mean of 3 allows 4 (1.33×); at 2, 3 (1.5×), the worst rounding.
    expect(results.prefix_aware!.worstLoadRatio).toBeLessThanOrEqual(1.5);
  });
});
