/**
 * Claude Code (`claude -p`), unmodified, against the gateway and a local mock backend: one plain
 * answer, and one turn where it calls a tool and sends the tool's result back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClientRun,
  describeRun,
  locateAgentClients,
  parseClaudeResult,
  runClaude,
} from "../../helpers/agent-clients.js";
import { type AgentGateway, answerPrefix, MODELS, startAgentGateway } from "../../helpers/agent-gateway.js";
import { stopAll } from "../../helpers/cli-process.js";

const clients = locateAgentClients();
const CLIENT_TIMEOUT = 60_000;

afterAll(async () => {
  await stopAll();
});

interface StreamLine {
  type: string;
  message?: {
    content?: Array<{ type: string; id?: string; name?: string; tool_use_id?: string; is_error?: boolean }>;
  };
}

/** The tool calls and tool results a `--output-format stream-json` run printed. */
function toolTrail(run: ClientRun) {
  const lines = run.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as StreamLine);
  const blocks = lines.flatMap((line) => line.message?.content ?? []);
  return {
    uses: blocks.filter((block) => block.type === "tool_use"),
    results: blocks.filter((block) => block.type === "tool_result"),
    result: lines.find((line) => line.type === "result") as
      | { is_error?: boolean; result?: string }
      | undefined,
  };
}

function plainAnswer(gateway: () => AgentGateway, model: string) {
  return async () => {
    const run = await runClaude(clients!, { baseUrl: gateway().url, model, prompt: "hello" });
    expect(run.code, describeRun(run)).toBe(0);
    const result = parseClaudeResult(run);
    expect(result.is_error, describeRun(run)).toBe(false);
    expect(result.result).toContain(answerPrefix(gateway()));
  };
}

/**
 * Only Glob is offered and allowed: it reads nothing outside the empty working folder. The mock
 * calls the tool the user's text names, with arguments valid for its schema.
 */
function toolTurn(gateway: () => AgentGateway, model: string) {
  return async () => {
    const run = await runClaude(clients!, {
      baseUrl: gateway().url,
      model,
      prompt: "Use the Glob tool to list the files here.",
      args: ["--tools", "Glob", "--allowed-tools", "Glob", "--output-format", "stream-json", "--verbose"],
    });
    expect(run.code, describeRun(run)).toBe(0);
    const trail = toolTrail(run);
    expect(trail.uses.map((use) => use.name)).toContain("Glob");
    const glob = trail.uses.find((use) => use.name === "Glob")!;
    const result = trail.results.find((block) => block.tool_use_id === glob.id);
    expect(result, describeRun(run)).toBeDefined();
    expect(result!.is_error ?? false, describeRun(run)).toBe(false);
    expect(trail.result?.is_error).toBe(false);
    expect(trail.result?.result).toContain(answerPrefix(gateway()));
  };
}

describe.skipIf(!clients)("Claude Code through the bridge (chat-only backend)", () => {
  let gateway: AgentGateway;
  beforeAll(async () => {
    gateway = await startAgentGateway("bridge");
  });
  afterAll(() => gateway?.remove());

  it(
    "answers with a model name it knows",
    plainAnswer(() => gateway, MODELS.claudeAlias),
    CLIENT_TIMEOUT,
  );
  it(
    "calls a tool and sends its result back",
    toolTurn(() => gateway, MODELS.claudeAlias),
    CLIENT_TIMEOUT,
  );
  it(
    "answers with a local model's name",
    plainAnswer(() => gateway, MODELS.local),
    CLIENT_TIMEOUT,
  );
});

describe.skipIf(!clients)("Claude Code through native Messages pass-through", () => {
  let gateway: AgentGateway;
  beforeAll(async () => {
    gateway = await startAgentGateway("native");
  });
  afterAll(() => gateway?.remove());

  it(
    "answers with a local model's name",
    plainAnswer(() => gateway, MODELS.local),
    CLIENT_TIMEOUT,
  );
  it(
    "calls a tool and sends its result back",
    toolTurn(() => gateway, MODELS.local),
    CLIENT_TIMEOUT,
  );
  it("reached the backend's own Messages API, never its chat completions", async () => {
    const routes = await gateway.backendRoutes();
    expect(routes.messages).toBeGreaterThan(0);
    expect(routes.chat).toBe(0);
  });
});
