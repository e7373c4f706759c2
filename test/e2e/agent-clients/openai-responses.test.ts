/**
 * The `openai` SDK's Responses API against the gateway: a `previous_response_id` chain of a created
 * response, a streamed one and a created one again, each continuing the stored conversation.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AgentGateway,
  answerPrefix,
  type BackendShape,
  MODELS,
  startAgentGateway,
} from "../../helpers/agent-gateway.js";
import { stopAll } from "../../helpers/cli-process.js";

afterAll(async () => {
  await stopAll();
});

function responsesSuite(shape: BackendShape) {
  return () => {
    let gateway: AgentGateway;
    let openai: OpenAI;
    beforeAll(async () => {
      gateway = await startAgentGateway(shape);
      openai = new OpenAI({ baseURL: gateway.openaiBaseUrl, apiKey: "sk-responses-test", maxRetries: 0 });
    });
    afterAll(() => gateway?.remove());

    it("continues a previous_response_id chain, created and streamed", async () => {
      const first = await openai.responses.create({ model: MODELS.local, input: "hello", store: true });
      expect(first.status).toBe("completed");
      expect(first.output_text).toBe(`${answerPrefix(gateway)} hello`);

      const stream = openai.responses.stream({
        model: MODELS.local,
        input: "again",
        previous_response_id: first.id,
      });
      const events: string[] = [];
      stream.on("event", (event) => events.push(event.type));
      const second = await stream.finalResponse();
      expect(second.output_text).toBe(`${answerPrefix(gateway)} again`);
      expect(events[0]).toBe("response.created");
      expect(events).toContain("response.output_text.delta");
      expect(events.at(-1)).toBe("response.completed");

      const third = await openai.responses.create({
        model: MODELS.local,
        input: "and once more",
        previous_response_id: second.id,
      });
      expect(third.output_text).toBe(`${answerPrefix(gateway)} and once more`);
      expect(third.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);

      const unknown = await openai.responses
        .create({ model: MODELS.local, input: "hi", previous_response_id: "resp_unknown" })
        .catch((error: unknown) => error);
      expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    });
  };
}

describe("openai.responses through the Responses bridge", responsesSuite("bridge"));
describe("openai.responses through pass-through", responsesSuite("native"));
