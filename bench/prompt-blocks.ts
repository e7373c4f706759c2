/**
 * Micro-bench of what `prefix_aware` adds on the hot path, per request: hashing the whole prompt in
 * blocks, and the pick with its record update, next to the JSON parse every request pays already and
 * to round robin's pick. The request is shaped like a Claude Code turn late in a session: a 12k-char
 * system prompt, 20 tool definitions and 40 messages (about 100 kB of JSON).
 *
 * Run: `npm run build && node dist/bench/prompt-blocks.js [iterations]`. It prints microseconds per
 * operation (median of 7 rounds); figures vary with the machine, so nothing here is asserted. The
 * picks cycle through 64 sessions of 377 blocks each, more than a record holds, so "prompt already
 * hashed" is the worst case (every pick re-adds its blocks); "the same prompt again" is the steady
 * state of a conversation whose earlier turn is held (binary searches only).
 * @module
 */
import { lazyPromptBlocks, promptBlockHashes } from "../src/protocol/prompt-blocks.js";
import type { BackendView } from "../src/routing/backend.js";
import { PrefixAwareStrategy } from "../src/routing/strategies/prefix-aware.js";
import { RoundRobinStrategy } from "../src/routing/strategies/round-robin.js";
import type { RoutingRequest } from "../src/routing/strategies/strategy.js";

const iterations = Number(process.argv[2] ?? 2_000);

function agentBody(session: number): string {
  const tools = Array.from({ length: 20 }, (_, index) => ({
    name: `Tool${index}`,
    description: "Does one thing to the repository, described at length. ".repeat(20),
    input_schema: { type: "object", properties: { path: { type: "string" }, limit: { type: "number" } } },
  }));
  const messages = Array.from({ length: 40 }, (_, turn) => ({
    role: turn % 2 === 0 ? "user" : "assistant",
    content: [
      { type: "text", text: `session ${session} turn ${turn}: ${"a line of code or prose. ".repeat(60)}` },
    ],
  }));
  return JSON.stringify({
    model: "m",
    max_tokens: 4096,
    system: [{ type: "text", text: "You are an agent. Follow the rules. ".repeat(330) }],
    tools,
    messages,
  });
}

function backends(count: number): BackendView[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `b${index}`,
    url: `http://127.0.0.1:${9000 + index}`,
    kind: "openai" as const,
    weight: 1,
    maxConnections: 0,
    inflight: index,
    queueDepth: 0,
    models: ["m"],
  }));
}

/** Median microseconds per call of `run` over 7 rounds of `iterations` calls. */
function measure(run: (index: number) => unknown): number {
  const rounds: number[] = [];
  let sink = 0;
  for (let round = 0; round < 7; round++) {
    const start = process.hrtime.bigint();
    for (let index = 0; index < iterations; index++) sink += run(index) === undefined ? 0 : 1;
    rounds.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
  }
  if (sink < 0) console.log(sink);
  return rounds.sort((a, b) => a - b)[3]!;
}

const bodies = Array.from({ length: 64 }, (_, session) => agentBody(session));
const parsed = bodies.map(
  (body) => JSON.parse(body) as { system: unknown; tools: unknown; messages: unknown },
);
const parts = parsed.map((body) => ({ leading: body.system, tools: body.tools, messages: body.messages }));
const pool = backends(4);
const prefixAware = new PrefixAwareStrategy();
const roundRobin = new RoundRobinStrategy();
const routing = (index: number): RoutingRequest => ({
  model: "m",
  promptBlocks: lazyPromptBlocks(parts[index % parts.length]!, "m"),
});
const hashed = parts.map((part) => promptBlockHashes(part, 256, "m"));
// Warm the records, as a running gateway's would be.
for (let index = 0; index < 256; index++) prefixAware.pick(pool, routing(index));

const figures = {
  "body size (kB)": bodies[0]!.length / 1000,
  "blocks per prompt": promptBlockHashes(parts[0]!, 256, "m").length,
  "JSON.parse of the body (µs)": measure((index) => JSON.parse(bodies[index % bodies.length]!)),
  "promptBlockHashes (µs)": measure((index) => promptBlockHashes(parts[index % parts.length]!, 256, "m")),
  "prefix_aware pick, hashing included (µs)": measure((index) => prefixAware.pick(pool, routing(index))),
  "prefix_aware pick, prompt already hashed (µs)": measure((index) =>
    prefixAware.pick(pool, { model: "m", promptBlocks: () => hashed[index % hashed.length]! }),
  ),
  "prefix_aware pick, the same prompt again (µs)": measure(() =>
    prefixAware.pick(pool, { model: "m", promptBlocks: () => hashed[0]! }),
  ),
  "round_robin pick (µs)": measure((index) => roundRobin.pick(pool, routing(index))),
};
for (const [name, value] of Object.entries(figures)) console.log(`${name.padEnd(44)} ${value.toFixed(2)}`);
