import { describe, expect, it } from "vitest";
import { lazyPromptBlocks, promptBlockHashes } from "../../src/protocol/prompt-blocks.js";

const system = "You are Claude Code, an agent that edits repositories carefully. ".repeat(40);
const tools = [{ name: "Read", description: "Reads a file.", input_schema: { type: "object" } }];

function turns(count: number): { role: string; content: string }[] {
  return Array.from({ length: count }, (_, index) => ({
    role: index % 2 === 0 ? "user" : "assistant",
    content: `turn ${index}: ${"the conversation goes on and on. ".repeat(20)}`,
  }));
}

/** How many leading hashes two lists share. */
function shared(a: readonly number[], b: readonly number[]): number {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length++;
  return length;
}

describe("promptBlockHashes", () => {
  it("hashes only full blocks, as engines cache them", () => {
    expect(promptBlockHashes({ leading: "x".repeat(100) }, 64)).toHaveLength(1);
    expect(promptBlockHashes({ leading: "short" }, 64)).toEqual([]);
    expect(promptBlockHashes({}, 64)).toEqual([]);
  });

  it("gives a grown conversation every block of its earlier turn, then new ones", () => {
    const earlier = promptBlockHashes({ leading: system, tools, messages: turns(3) }, 256);
    const later = promptBlockHashes({ leading: system, tools, messages: turns(5) }, 256);
    expect(later.length).toBeGreaterThan(earlier.length);
    expect(shared(earlier, later)).toBe(earlier.length);
  });

  it("tells conversations apart after a shared system prompt, far past the first 256 characters", () => {
    const systemBlocks = promptBlockHashes({ leading: system, tools }, 256).length;
    expect(systemBlocks).toBeGreaterThan(8);
    const one = promptBlockHashes(
      { leading: system, tools, messages: [{ role: "user", content: "a".repeat(600) }] },
      256,
    );
    const two = promptBlockHashes(
      { leading: system, tools, messages: [{ role: "user", content: "b".repeat(600) }] },
      256,
    );
    const common = shared(one, two);
    expect(common).toBeGreaterThanOrEqual(systemBlocks - 1);
    expect(common).toBeLessThan(one.length);
  });

  it("chains: a block's hash depends on every block before it", () => {
    const a = promptBlockHashes({ leading: `A${"x".repeat(511)}` }, 256);
    const b = promptBlockHashes({ leading: `B${"x".repeat(511)}` }, 256);
    expect(a).toHaveLength(2);
    expect(a[1]).not.toBe(b[1]);
  });

  it("is the same whichever protocol wrote the text, and ignores cache markers and ids", () => {
    const openai = promptBlockHashes(
      {
        messages: [
          { role: "system", content: system },
          { role: "user", content: "hello there" },
        ],
      },
      128,
    );
    const anthropic = promptBlockHashes(
      {
        leading: [{ type: "text", text: system, cache_control: { type: "ephemeral" } }],
        messages: [{ role: "user", content: [{ type: "text", text: "hello there" }] }],
      },
      128,
    );
    expect(anthropic).toEqual(openai);
    const stored = promptBlockHashes(
      {
        messages: [
          { id: "msg_1", role: "system", content: system },
          { role: "user", content: "hello there" },
        ],
      },
      128,
    );
    expect(stored).toEqual(openai);
  });

  it("hashes tool calls and results, not only text", () => {
    const call = (path: string) => [
      { role: "system", content: system },
      {
        role: "assistant",
        tool_calls: [{ type: "function", function: { name: "Read", arguments: `{"path":"${path}"}` } }],
      },
      { role: "tool", tool_call_id: "c1", content: "x".repeat(600) },
    ];
    const a = promptBlockHashes({ messages: call("a.ts") }, 256);
    const b = promptBlockHashes({ messages: call("b.ts") }, 256);
    expect(a.at(-1)).not.toBe(b.at(-1));
  });

  it("hashes any text by its UTF-8 bytes, short strings and long ones alike", () => {
    const long = (mark: string) => `${"日本語のテキスト。".repeat(40)}${mark}${"続き。".repeat(40)}`;
    const prompt = (mark: string) => ({
      messages: [
        { role: "user", content: long(mark), name: `名前${mark}` },
        { role: "user", content: `短い${mark}` },
      ],
    });
    expect(promptBlockHashes(prompt("甲"), 64)).toEqual(promptBlockHashes(prompt("甲"), 64));
    const a = promptBlockHashes(prompt("甲"), 64);
    const b = promptBlockHashes(prompt("乙"), 64);
    expect(a.length).toBeGreaterThan(10);
    expect(shared(a, b)).toBeLessThan(a.length);
    // A string is the same bytes whichever way it is copied: as a short key or inside long text.
    expect(promptBlockHashes({ leading: "é".repeat(200) }, 64)).toEqual(
      promptBlockHashes({ leading: ["é".repeat(40), "é".repeat(160)] }, 64),
    );
  });

  it("collides about as rarely as a random 30-bit hash on texts that differ in a few digits", () => {
    const seen = new Set<number>();
    let collisions = 0;
    for (let index = 0; index < 50_000; index++) {
      const [hash] = promptBlockHashes({ leading: `session ${index} `.padEnd(64, "x") }, 64);
      if (seen.has(hash!)) collisions++;
      seen.add(hash!);
    }
    // 50,000² ÷ 2 ÷ 2^30 ≈ 1.2 expected; a weak mix gave 25 times that.
    expect(collisions).toBeLessThanOrEqual(8);
  });

  it("keeps one backend's models apart by the seed", () => {
    expect(promptBlockHashes({ leading: system }, 256, "m1")[0]).not.toBe(
      promptBlockHashes({ leading: system }, 256, "m2")[0],
    );
  });

  it("takes any JSON without throwing, and stops at absurd depth", () => {
    let deep: unknown = "leaf";
    for (let index = 0; index < 10_000; index++) deep = [deep];
    expect(() => promptBlockHashes({ messages: [null, 3, true, deep, { role: 5 }] }, 16)).not.toThrow();
  });

  it("returns small non-negative integers", () => {
    for (const hash of promptBlockHashes({ leading: system }, 64)) {
      expect(Number.isInteger(hash)).toBe(true);
      expect(hash).toBeGreaterThanOrEqual(0);
      expect(hash).toBeLessThan(2 ** 30);
    }
  });
});

describe("lazyPromptBlocks", () => {
  it("hashes once per block size, and only when asked", () => {
    let reads = 0;
    const messages = new Proxy(turns(2), {
      get(target, property, receiver) {
        if (property === "length") reads++;
        return Reflect.get(target, property, receiver);
      },
    });
    const blocks = lazyPromptBlocks({ leading: system, messages }, "m");
    expect(reads).toBe(0);
    const first = blocks(256);
    expect(blocks(256)).toBe(first);
    const readsAfterOne = reads;
    expect(blocks(128).length).toBeGreaterThan(first.length);
    expect(reads).toBeGreaterThan(readsAfterOne);
    expect(first).toEqual(promptBlockHashes({ leading: system, messages: turns(2) }, 256, "m"));
  });
});
