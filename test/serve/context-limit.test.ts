import { describe, expect, it } from "vitest";
import { checkContextFit } from "../../src/serve/context-limit.js";
import { ServeError } from "../../src/serve/errors.js";

const chat = { promptParam: "messages", maxTokensParam: "max_tokens" } as const;

function failure(run: () => void): ServeError {
  try {
    run();
  } catch (error) {
    if (error instanceof ServeError) return error;
    throw error;
  }
  throw new Error("expected a ServeError");
}

describe("checkContextFit", () => {
  it("accepts a prompt and completion that fill the context exactly, or no max_tokens", () => {
    expect(() =>
      checkContextFit({ ...chat, contextSize: 512, promptTokens: 337, maxTokens: 175 }),
    ).not.toThrow();
    expect(() =>
      checkContextFit({ ...chat, contextSize: 512, promptTokens: 511, maxTokens: undefined }),
    ).not.toThrow();
  });

  it("refuses prompt + max_tokens over the context, naming max_tokens and every limit", () => {
    const error = failure(() =>
      checkContextFit({ ...chat, contextSize: 512, promptTokens: 337, maxTokens: 1000 }),
    );
    expect(error.status).toBe(400);
    expect(error.body()).toEqual({
      error: {
        message:
          "This model's maximum context length is 512 tokens. However, you requested 1337 tokens " +
          "(337 in the messages, 1000 in the completion). Please reduce the length of the messages or set " +
          "max_tokens to at most 175.",
        type: "invalid_request_error",
        param: "max_tokens",
        code: "context_length_exceeded",
      },
    });
  });

  it("names max_completion_tokens when the client used it", () => {
    const error = failure(() =>
      checkContextFit({
        ...chat,
        maxTokensParam: "max_completion_tokens",
        contextSize: 100,
        promptTokens: 90,
        maxTokens: 11,
      }),
    );
    expect(error.param).toBe("max_completion_tokens");
    expect(error.message).toContain("set max_completion_tokens to at most 10");
  });

  it("blames the prompt when it leaves no room at all", () => {
    const alone = failure(() =>
      checkContextFit({ ...chat, contextSize: 256, promptTokens: 256, maxTokens: undefined }),
    );
    expect(alone.param).toBe("messages");
    expect(alone.message).toBe(
      "This model's maximum context length is 256 tokens. However, your messages resulted in 256 tokens. " +
        "Please reduce the length of the messages.",
    );
    const withMax = failure(() =>
      checkContextFit({
        promptParam: "prompt",
        maxTokensParam: "max_tokens",
        contextSize: 256,
        promptTokens: 300,
        maxTokens: 5,
      }),
    );
    expect(withMax.param).toBe("prompt");
    expect(withMax.message).toContain("you requested 305 tokens (300 in the prompt, 5 in the completion)");
  });
});
