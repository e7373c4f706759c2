/**
 * Re-captures test/fixtures/agent-requests/: runs each real client once against a recording server
 * and writes its first inference request (credentials removed). Runs only with
 * `UPDATE_AGENT_FIXTURES=1`, after a client version bump; review the diff, then update the README there.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import {
  AGENT_CLIENTS_DIR,
  type AgentClients,
  describeRun,
  locateAgentClients,
  runClaude,
  runClientScript,
  runCodex,
} from "../../helpers/agent-clients.js";
import {
  type CapturedRequest,
  type CaptureServer,
  startCaptureServer,
  toFixture,
} from "../../helpers/capture-server.js";

const FIXTURES = new URL("../../fixtures/agent-requests/", import.meta.url);
const enabled = process.env.UPDATE_AGENT_FIXTURES === "1";
const clients = enabled ? locateAgentClients() : undefined;

let server: CaptureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const placeholders: Array<[RegExp, string]> = [
  [/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT"],
  [
    new RegExp(`${escapeRegExp(tmpdir())}/switchyard-agent-[A-Za-z0-9]+`, "g"),
    "/tmp/switchyard-agent-SANDBOX",
  ],
  [new RegExp(escapeRegExp(AGENT_CLIENTS_DIR.replace(/\/$/, "")), "g"), "<repo>/test/agent-clients"],
];

function save(name: string, request: CapturedRequest | undefined): void {
  expect(request, `no request for ${name}`).toBeDefined();
  const fixture = toFixture(request!, placeholders);
  writeFileSync(new URL(`${name}.json`, FIXTURES), `${JSON.stringify(fixture, null, 2)}\n`);
}

function first(route: string): CapturedRequest | undefined {
  return server!.requests.find(
    (request) => request.method === "POST" && request.path.split("?")[0] === route,
  );
}

/** Every request a client made, in order, for the README's account of a run. */
function trail(): string {
  return server!.requests.map((request) => `${request.method} ${request.path}`).join(", ");
}

describe.runIf(enabled && clients)("capture agent-client requests", () => {
  const c = clients as AgentClients;

  it("Codex CLI: codex exec", async () => {
    server = await startCaptureServer();
    const run = await runCodex(c, { baseUrl: `${server.url}/v1`, model: "local-coder", prompt: "hello" });
    console.log(`codex: ${trail()}\n${describeRun(run)}`);
    save("codex-exec-responses", first("/v1/responses"));
  }, 60_000);

  it("Claude Code with a local model's name", async () => {
    server = await startCaptureServer();
    const run = await runClaude(c, { baseUrl: server.url, model: "local-coder", prompt: "hello" });
    console.log(`claude local: ${trail()}\n${describeRun(run)}`);
    save("claude-code-messages-local-model", first("/v1/messages"));
  }, 60_000);

  it("Claude Code with a model name it knows", async () => {
    server = await startCaptureServer();
    const run = await runClaude(c, { baseUrl: server.url, model: "claude-sonnet-4-5", prompt: "hello" });
    console.log(`claude known: ${trail()}\n${describeRun(run)}`);
    save("claude-code-messages-known-model", first("/v1/messages"));
  }, 60_000);

  it("Claude Code's /context: count_tokens", async () => {
    server = await startCaptureServer();
    const run = await runClaude(c, { baseUrl: server.url, model: "local-coder", prompt: "/context" });
    console.log(`claude /context: ${trail()}\n${describeRun(run)}`);
    save("claude-code-count-tokens", first("/v1/messages/count_tokens"));
  }, 60_000);

  it("Agents SDK, default API, one function tool", async () => {
    server = await startCaptureServer();
    await runClientScript(c, "agents-sdk.mjs", { baseUrl: `${server.url}/v1`, model: "local-coder" });
    console.log(`agents sdk: ${trail()}`);
    save("agents-sdk-responses", first("/v1/responses"));
  }, 60_000);

  it("AI SDK, default OpenAI model", async () => {
    server = await startCaptureServer();
    await runClientScript(c, "ai-sdk.mjs", { baseUrl: `${server.url}/v1`, model: "local-coder" });
    console.log(`ai sdk: ${trail()}`);
    save("ai-sdk-responses", first("/v1/responses"));
  }, 60_000);
});
