import { describe, expect, it } from "vitest";
import { rewriteNullable, validateOpenAI } from "../helpers/openapi.js";

describe("OpenAPI helper", () => {
  it("rewrites OpenAPI's nullable into JSON Schema, leaving property names alone", () => {
    expect(
      rewriteNullable({
        type: "object",
        properties: { nullable: { type: "string", nullable: true, description: "d" } },
      }),
    ).toEqual({
      type: "object",
      properties: { nullable: { anyOf: [{ type: "string" }, { type: "null" }], description: "d" } },
    });
  });

  it("accepts the nulls OpenAI sends where the spec says nullable (a chunk's finish_reason)", () => {
    const chunk = {
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta: { content: "x" }, logprobs: null, finish_reason: null }],
      usage: null,
    };
    expect(() => validateOpenAI("CreateChatCompletionStreamResponse", chunk)).not.toThrow();
  });

  it("rejects what does not match, listing the problems", () => {
    expect(() => validateOpenAI("ErrorResponse", { error: { message: 1 } })).toThrow(/\/error\/message/);
    for (const name of [
      "CreateChatCompletionResponse",
      "CreateCompletionResponse",
      "CreateEmbeddingResponse",
      "ListModelsResponse",
    ]) {
      expect(() => validateOpenAI(name, {})).toThrow(/does not match/);
    }
  });
});
