import { describe, expect, it } from "vitest";
import { samplingOptions, samplingSchema } from "../../src/serve/sampling.js";

const parse = (body: Record<string, unknown>) => samplingOptions(samplingSchema.parse(body));

describe("samplingOptions", () => {
  it("uses OpenAI's defaults, not node-llama-cpp's", () => {
    expect(parse({})).toEqual({
      temperature: 1,
      topP: 1,
      topK: 0,
      minP: 0,
      seed: undefined,
      maxTokens: undefined,
      stop: [],
      repeatPenalty: false,
    });
  });

  it("maps every field", () => {
    expect(
      parse({
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        min_p: 0.05,
        seed: 7,
        max_tokens: 100,
        stop: "END",
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
      }),
    ).toEqual({
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      minP: 0.05,
      seed: 7,
      maxTokens: 100,
      stop: ["END"],
      repeatPenalty: { penalty: 1, presencePenalty: 0.5, frequencyPenalty: -0.5, lastTokens: 64 },
    });
  });

  it("prefers max_completion_tokens, treats null as absent and drops empty stop strings", () => {
    expect(
      parse({ max_tokens: 10, max_completion_tokens: 20, temperature: null, stop: ["", "x"] }),
    ).toMatchObject({
      maxTokens: 20,
      temperature: 1,
      stop: ["x"],
    });
    expect(parse({ repetition_penalty: 1.1 }).repeatPenalty).toMatchObject({ penalty: 1.1 });
  });

  it("refuses values out of OpenAI's ranges and n other than 1", () => {
    for (const body of [
      { temperature: 2.5 },
      { top_p: 1.5 },
      { presence_penalty: 3 },
      { max_tokens: 0 },
      { stop: ["a", "b", "c", "d", "e"] },
      { n: 2 },
    ]) {
      expect(samplingSchema.safeParse(body).success, JSON.stringify(body)).toBe(false);
    }
    expect(samplingSchema.safeParse({ n: 1 }).success).toBe(true);
  });
});
