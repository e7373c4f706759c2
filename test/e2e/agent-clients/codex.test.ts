/** Codex CLI (`codex exec`), unmodified, against the gateway and a local mock backend: one plain answer. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeRun, locateAgentClients, runCodex } from "../../helpers/agent-clients.js";
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

function codexSuite(shape: BackendShape) {
  return () => {
    let gateway: AgentGateway;
    beforeAll(async () => {
      gateway = await startAgentGateway(shape);
    });
    afterAll(() => gateway?.remove());

    it(
      "answers a prompt with the tools it sends by default",
      async () => {
        const run = await runCodex(clients!, {
          baseUrl: gateway.openaiBaseUrl,
          model: MODELS.local,
          prompt: "hello",
        });
        expect(run.code, describeRun(run)).toBe(0);
        expect(run.lastMessage, describeRun(run)).toContain(`${answerPrefix(gateway)} hello`);
        // Bridged to chat completions, or piped to the backend's own Responses API.
        const routes = await gateway.backendRoutes();
        if (shape === "native") expect(routes).toMatchObject({ responses: expect.any(Number), chat: 0 });
        else expect(routes).toMatchObject({ responses: 0, chat: expect.any(Number) });
        expect(routes.responses! + routes.chat!).toBeGreaterThan(0);
      },
      CLIENT_TIMEOUT,
    );
  };
}

describe.skipIf(!clients)("Codex CLI through the Responses bridge (chat-only backend)", codexSuite("bridge"));
describe.skipIf(!clients)("Codex CLI through native Responses pass-through", codexSuite("native"));
