/**
 * The OpenAI Agents SDK, unmodified (test/agent-clients/agents-sdk.mjs), against the gateway: an agent
 * with one function tool, in the SDK's default mode (Responses) and in its chat-completions mode.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { locateAgentClients, runClientScript } from "../../helpers/agent-clients.js";
import {
  type AgentGateway,
  answerPrefix,
  type BackendShape,
  MODELS,
  startAgentGateway,
} from "../../helpers/agent-gateway.js";
import { stopAll } from "../../helpers/cli-process.js";

const clients = locateAgentClients();
const CLIENT_TIMEOUT = 60_000;

afterAll(async () => {
  await stopAll();
});

interface AgentRun {
  finalOutput: string;
  toolCalls: Array<{ city: unknown }>;
  items: string[];
}

type AgentsApi = "responses" | "chat_completions";

/**
 * `validArguments`: the tool ran, so the mock's arguments satisfied its schema; until the mock writes
 * schema-valid arguments the SDK answers the call with a parse error, which still closes the loop.
 */
function agentSuite(shape: BackendShape, api: AgentsApi, validArguments: boolean) {
  return () => {
    let gateway: AgentGateway;
    beforeAll(async () => {
      gateway = await startAgentGateway(shape);
    });
    afterAll(() => gateway?.remove());

    it(
      "calls the function tool, sends its output back and answers",
      async () => {
        const run = await runClientScript<AgentRun>(clients!, "agents-sdk.mjs", {
          baseUrl: gateway.openaiBaseUrl,
          model: MODELS.local,
          env: { AGENTS_API: api, PROMPT: "Use get_weather to find the weather in Paris." },
        });
        expect(run.items).toEqual(["tool_call_item", "tool_call_output_item", "message_output_item"]);
        expect(run.finalOutput).toContain(answerPrefix(gateway));
        if (validArguments) expect(run.toolCalls).toEqual([{ city: expect.any(String) }]);
      },
      CLIENT_TIMEOUT,
    );
  };
}

describe.skipIf(!clients)(
  "Agents SDK in chat-completions mode through the gateway",
  agentSuite("bridge", "chat_completions", true),
);
describe.skipIf(!clients)(
  "Agents SDK default (Responses) through the bridge",
  agentSuite("bridge", "responses", true),
);
describe.skipIf(!clients)(
  "Agents SDK default (Responses) through pass-through",
  agentSuite("native", "responses", true),
);
