/**
 * The Vercel AI SDK, unmodified (test/agent-clients/ai-sdk.mjs), against the gateway: generateText
 * with the OpenAI provider's default model, which speaks the Responses API.
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

interface TextRun {
  text: string;
  finishReason: string;
  usage: { inputTokens?: number; outputTokens?: number };
}

function aiSdkSuite(shape: BackendShape) {
  return () => {
    let gateway: AgentGateway;
    beforeAll(async () => {
      gateway = await startAgentGateway(shape);
    });
    afterAll(() => gateway?.remove());

    it(
      "generateText with the default OpenAI model",
      async () => {
        const run = await runClientScript<TextRun>(clients!, "ai-sdk.mjs", {
          baseUrl: gateway.openaiBaseUrl,
          model: MODELS.local,
          env: { PROMPT: "hello" },
        });
        expect(run.text).toBe(`${answerPrefix(gateway)} hello`);
        expect(run.finishReason).toBe("stop");
        expect(run.usage.outputTokens).toBeGreaterThan(0);
      },
      CLIENT_TIMEOUT,
    );
  };
}

describe.skipIf(!clients)("AI SDK default OpenAI model through the Responses bridge", aiSdkSuite("bridge"));
describe.skipIf(!clients)("AI SDK default OpenAI model through pass-through", aiSdkSuite("native"));
