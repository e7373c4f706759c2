/**
 * Every strategy through a real gateway process in front of three real mock processes: each one's
 * defining behaviour, seen from the client through `x-routed-node`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { postJson } from "../helpers/http.js";
import { writeTempConfig } from "../helpers/temp-config.js";

let mocks: CliProcess[];
const configs: { remove(): void }[] = [];

beforeAll(async () => {
  mocks = await Promise.all([
    startCli(["mock", "--port", "0", "--id", "a"]),
    startCli(["mock", "--port", "0", "--id", "b"]),
    startCli(["mock", "--port", "0", "--id", "slow", "--first-token-delay-ms", "40"]),
  ]);
});

afterAll(async () => {
  await stopAll();
  for (const config of configs) config.remove();
});

async function gatewayWith(strategy: string, weights: number[] = [1, 1, 1]): Promise<string> {
  const config = writeTempConfig({
    strategy,
    backends: mocks.map((mock, index) => ({
      name: mock.ready[0]!.id,
      url: mock.ready[0]!.url,
      models: ["mock-model"],
      weight: weights[index],
    })),
  });
  configs.push(config);
  const gateway = await startCli(["gateway", "--port", "0", "--config", config.path, "--log-level", "error"]);
  return gateway.ready[0]!.url;
}

async function route(gateway: string, body: Record<string, unknown> = {}): Promise<string> {
  const response = await postJson(`${gateway}/v1/chat/completions`, {
    model: "mock-model",
    messages: [{ role: "user", content: "hi" }],
    ...body,
  });
  expect(response.status).toBe(200);
  return response.headers.get("x-routed-node")!;
}

async function routeMany(gateway: string, count: number, body: () => Record<string, unknown> = () => ({})) {
  const nodes: string[] = [];
  for (let i = 0; i < count; i++) nodes.push(await route(gateway, body()));
  return nodes;
}

function tally(nodes: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of nodes) counts[node] = (counts[node] ?? 0) + 1;
  return counts;
}

describe("strategies end to end", () => {
  it("round_robin rotates exactly", async () => {
    expect(await routeMany(await gatewayWith("ROUND_ROBIN"), 6)).toEqual([
      "a",
      "b",
      "slow",
      "a",
      "b",
      "slow",
    ]);
  });

  it("weighted gives exact proportions", async () => {
    const nodes = await routeMany(await gatewayWith("weighted", [3, 1, 0.0001]), 8);
    expect(tally(nodes)).toMatchObject({ a: 6, b: 2 });
  });

  it("least_connections, least_loaded, random and power_of_two spread sequential load", async () => {
    for (const strategy of ["least_connections", "least_loaded", "random", "power_of_two"]) {
      const nodes = await routeMany(await gatewayWith(strategy), 30);
      expect(Object.keys(tally(nodes)).length, strategy).toBeGreaterThanOrEqual(2);
    }
  });

  it("latency sends most traffic to the fast backends", async () => {
    const nodes = await routeMany(await gatewayWith("latency"), 40);
    expect(tally(nodes).slow ?? 0).toBeLessThan(10);
  });

  it("sticky keeps a user on one backend", async () => {
    const gateway = await gatewayWith("sticky");
    const seen = new Set<string>();
    for (const user of ["alice", "bob", "carol", "dave", "erin", "frank"]) {
      const nodes = await routeMany(gateway, 4, () => ({ user }));
      expect(new Set(nodes).size, user).toBe(1);
      seen.add(nodes[0]!);
    }
    expect(seen.size).toBeGreaterThanOrEqual(2);
  });

  it("prefix_cache co-locates requests that share a prompt prefix", async () => {
    const gateway = await gatewayWith("prefix_cache");
    const systemPrompt = "You are a careful assistant. ".repeat(12);
    const nodes = await routeMany(gateway, 6, () => ({
      messages: [
        { role: "system", content: systemPrompt },
        { role: "user", content: `question ${Math.random()}` },
      ],
    }));
    expect(new Set(nodes).size).toBe(1);
  });

  it("prefix_aware keeps a growing conversation on one backend, and sessions with short prompts by key", async () => {
    const gateway = await gatewayWith("prefix_aware");
    const systemPrompt = "You are a careful agent. Read the repository before you edit it. ".repeat(40);
    const messages: { role: string; content: string }[] = [{ role: "system", content: systemPrompt }];
    const nodes: string[] = [];
    for (let turn = 0; turn < 4; turn++) {
      messages.push({
        role: "user",
        content: `turn ${turn}: ${"please look at the next file. ".repeat(10)}`,
      });
      nodes.push(await route(gateway, { messages }));
      messages.push({ role: "assistant", content: `done with turn ${turn}` });
    }
    expect(new Set(nodes).size).toBe(1);
    const seen = new Set<string>();
    for (const user of ["alice", "bob", "carol", "dave", "erin", "frank"]) {
      const userNodes = await routeMany(gateway, 3, () => ({ user }));
      expect(new Set(userNodes).size, user).toBe(1);
      seen.add(userNodes[0]!);
    }
    expect(seen.size).toBeGreaterThanOrEqual(2);
    // The Anthropic and Responses routes hash their prompts too, and land where the chat one did.
    const messagesNode = await postJson(`${gateway}/v1/messages`, {
      model: "mock-model",
      max_tokens: 16,
      system: systemPrompt,
      messages: messages.slice(1),
    });
    expect(messagesNode.status).toBe(200);
    expect(messagesNode.headers.get("x-routed-node")).toBe(nodes[0]);
    const responsesNode = await postJson(`${gateway}/v1/responses`, {
      model: "mock-model",
      instructions: systemPrompt,
      input: messages.slice(1),
    });
    expect(responsesNode.status).toBe(200);
    expect(responsesNode.headers.get("x-routed-node")).toBe(nodes[0]);
  });
});
