import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ChatChunkSeparator,
  type ChatCompletion,
  type ChatCompletionChunk,
  separateChatCompletion,
} from "../../src/reasoning/openai-response.js";

const HARMONY_TEXT =
  "<|channel|>analysis<|message|>User asks the capital.<|end|>" +
  "<|start|>assistant<|channel|>commentary<|message|>Be accurate.<|end|>" +
  "<|start|>assistant<|channel|>final<|message|>Washington<|return|>";

function completion(contents: ReadonlyArray<string | null>, completionTokens = 250): ChatCompletion {
  return {
    id: "chatcmpl-abc123",
    object: "chat.completion",
    created: 1_234_567_890,
    model: "gpt-oss-20b",
    choices: contents.map((content, index) => ({
      index,
      message: { role: "assistant", content },
      logprobs: null,
      finish_reason: "stop",
    })),
    usage: { prompt_tokens: 125, completion_tokens: completionTokens, total_tokens: 125 + completionTokens },
  };
}

describe("separateChatCompletion", () => {
  it("gives the Python model server's response shape for gpt-oss", () => {
    const input = completion([HARMONY_TEXT]);
    const before = structuredClone(input);
    const output = separateChatCompletion(input, {
      modelType: "gpt-oss",
      separateThinking: true,
      includeChannels: ["analysis", "final"],
      reasoningLevel: "medium",
    });
    expect(input).toEqual(before);
    expect(output.reasoning_level).toBe("medium");
    expect(output.id).toBe("chatcmpl-abc123");
    expect(output.choices?.[0]).toEqual({
      index: 0,
      logprobs: null,
      finish_reason: "stop",
      message: {
        role: "assistant",
        content: "Washington",
        reasoning_content: "User asks the capital.\nBe accurate.",
        thinking: {
          analysis: "User asks the capital.",
          commentary: "Be accurate.",
          raw: "[Analysis]\nUser asks the capital.[Commentary]\nBe accurate.",
        },
        channels: { analysis: "User asks the capital.", final: "Washington" },
      },
    });
    // 22 + 12 + 10 characters share 250 tokens.
    expect(output.usage).toEqual({
      prompt_tokens: 125,
      completion_tokens: 250,
      total_tokens: 375,
      thinking_tokens: 193,
      channel_tokens: { analysis: 125, commentary: 68, final: 57 },
      completion_tokens_details: { reasoning_tokens: 193 },
    });
  });

  it("only cleans content and sets reasoning_content without separate_thinking", () => {
    const output = separateChatCompletion(completion(["<think>\nhm\n</think>\n\nParis"], 10), {
      modelType: "qwen3",
    });
    expect(output.choices?.[0]?.message).toEqual({
      role: "assistant",
      content: "Paris",
      reasoning_content: "hm",
    });
    expect(output.usage?.thinking_tokens).toBe(3);
    expect(output.usage?.channel_tokens).toBeUndefined();
    expect(output.reasoning_level).toBeUndefined();
  });

  it("handles several choices, null content, and no reasoning", () => {
    const output = separateChatCompletion(completion(["a<think>b</think>c", null, "plain"], 9), {
      modelType: "generic",
      separateThinking: true,
    });
    expect(output.choices?.map((choice) => choice.message?.content)).toEqual(["ac", null, "plain"]);
    expect(output.choices?.[1]).toEqual(completion(["", null])?.choices?.[1]);
    expect(output.choices?.[2]?.message).toEqual({
      role: "assistant",
      content: "plain",
      channels: { analysis: "", commentary: "", final: "plain" },
    });
    expect(output.usage?.channel_tokens).toEqual({ analysis: 1, commentary: 0, final: 8 });
  });

  it("keeps the texts of a choice the server already split, adding nothing unasked", () => {
    const input = completion(["Paris"], 10);
    input.choices![0]!.message!.reasoning_content = "thought";
    const output = separateChatCompletion(input, { modelType: "deepseek-r1" });
    expect(output.choices![0]!.message).toEqual({
      role: "assistant",
      content: "Paris",
      reasoning_content: "thought",
    });
    expect(output.choices![0]!.message!.thinking).toBeUndefined();
    expect(output.usage?.channel_tokens).toBeUndefined();
  });

  it("gives a server-split choice the workflow's thinking fields (reasoning_content)", () => {
    const input = completion(["Washington"], 12);
    input.choices![0]!.message!.reasoning_content = "User asks the capital.";
    input.usage!.completion_tokens_details = { reasoning_tokens: 5 };
    const before = structuredClone(input);
    const output = separateChatCompletion(input, {
      modelType: "generic",
      separateThinking: true,
      includeChannels: ["analysis", "commentary", "final"],
      reasoningLevel: "medium",
    });
    expect(input).toEqual(before);
    expect(output.reasoning_level).toBe("medium");
    expect(output.choices![0]!.message).toEqual({
      role: "assistant",
      content: "Washington",
      reasoning_content: "User asks the capital.",
      thinking: {
        analysis: "User asks the capital.",
        commentary: "",
        raw: "[Analysis]\nUser asks the capital.",
      },
      channels: { analysis: "User asks the capital.", commentary: "", final: "Washington" },
    });
    // The backend's own reasoning count is exact: it decides the split.
    expect(output.usage).toMatchObject({
      completion_tokens: 12,
      thinking_tokens: 5,
      channel_tokens: { analysis: 5, commentary: 0, final: 7 },
      completion_tokens_details: { reasoning_tokens: 5 },
    });
  });

  it("reads newer vLLM's `reasoning` field as reasoning_content", () => {
    const input = completion(["Paris"], 10);
    input.choices![0]!.message!.reasoning = "abcd";
    input.choices![0]!.message!.reasoning_content = null;
    const output = separateChatCompletion(input, {
      modelType: "qwen3",
      separateThinking: true,
      includeChannels: ["final"],
    });
    const message = output.choices![0]!.message!;
    expect(message.reasoning).toBe("abcd");
    expect(message.reasoning_content).toBe("abcd");
    expect(message.thinking).toEqual({ analysis: "abcd", commentary: "", raw: "[Analysis]\nabcd" });
    expect(message.channels).toEqual({ final: "Paris" });
    // No count reported: shared out by characters (4 of reasoning, 5 of answer).
    expect(output.usage?.channel_tokens).toEqual({ analysis: 4, commentary: 0, final: 6 });
  });

  it("keeps thinking and channels a server already gave, and omits thinking without reasoning", () => {
    const given = completion(["Paris"]);
    const thinking = { analysis: "a", commentary: "c", raw: "[Analysis]\na[Commentary]\nc" };
    given.choices![0]!.message = {
      role: "assistant",
      content: "Paris",
      reasoning_content: "a\nc",
      thinking,
      channels: { final: "Paris" },
    };
    const kept = separateChatCompletion(given, { modelType: "gpt-oss", separateThinking: true });
    expect(kept.choices![0]!.message!.thinking).toEqual(thinking);
    expect(kept.choices![0]!.message!.channels).toEqual({ final: "Paris" });
    const empty = completion(["Paris"]);
    empty.choices![0]!.message!.reasoning_content = "";
    const output = separateChatCompletion(empty, { modelType: "qwen3", separateThinking: true });
    expect(output.choices![0]!.message!.thinking).toBeUndefined();
    expect(output.choices![0]!.message!.channels).toEqual({ analysis: "", commentary: "", final: "Paris" });
  });

  it("counts tokens exactly with a tokenizer", () => {
    const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
    const output = separateChatCompletion(completion(["<think>one two three</think>four five"]), {
      modelType: "qwen3",
      separateThinking: true,
      countTokens: words,
    });
    expect(output.usage?.thinking_tokens).toBe(3);
    expect(output.usage?.channel_tokens).toEqual({ analysis: 3, commentary: 0, final: 2 });
  });

  it("keeps a backend's own reasoning_tokens", () => {
    const input = completion(["<think>x</think>y"]);
    input.usage!.completion_tokens_details = { reasoning_tokens: 7, accepted_prediction_tokens: 0 };
    const output = separateChatCompletion(input, { modelType: "qwen3" });
    expect(output.usage?.completion_tokens_details).toEqual({
      reasoning_tokens: 7,
      accepted_prediction_tokens: 0,
    });
  });

  it("returns a body without choices unchanged but for reasoning_level", () => {
    expect(
      separateChatCompletion({ object: "error" }, { modelType: "qwen3", reasoningLevel: "low" }),
    ).toEqual({
      object: "error",
      reasoning_level: "low",
    });
  });
});

const TOP = {
  id: "chatcmpl-xyz",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model: "m",
  system_fingerprint: "fp",
};

function chunk(
  choices: ChatCompletionChunk["choices"],
  extra: Partial<ChatCompletionChunk> = {},
): ChatCompletionChunk {
  return { ...TOP, choices, ...extra };
}

function contentChunk(index: number, content: string): ChatCompletionChunk {
  return chunk([{ index, delta: { content }, logprobs: null, finish_reason: null }]);
}

function finishChunk(index: number): ChatCompletionChunk {
  return chunk([{ index, delta: {}, logprobs: null, finish_reason: "stop" }]);
}

function collect(chunks: readonly ChatCompletionChunk[]) {
  const byIndex = new Map<
    number,
    { content: string; reasoning: string; finishes: number; afterFinish: number }
  >();
  for (const out of chunks) {
    for (const choice of out.choices ?? []) {
      const index = choice.index ?? 0;
      const entry = byIndex.get(index) ?? { content: "", reasoning: "", finishes: 0, afterFinish: 0 };
      if (entry.finishes > 0) entry.afterFinish++;
      entry.content += choice.delta?.content ?? "";
      entry.reasoning += choice.delta?.reasoning_content ?? "";
      if (choice.finish_reason) entry.finishes++;
      byIndex.set(index, entry);
    }
  }
  return byIndex;
}

/** Each choice's text cut into pieces, the pieces of all choices interleaved, sometimes two in one chunk. */
function interleave(texts: readonly string[], cuts: readonly number[]): ChatCompletionChunk[] {
  const pick = (at: number) => cuts[at % Math.max(1, cuts.length)] ?? at;
  const queues = texts.map((text) => {
    const pieces: string[] = [];
    for (let at = 0, turn = 0; at < text.length; turn++) {
      const size = 1 + (pick(turn) % 5);
      pieces.push(text.slice(at, at + size));
      at += size;
    }
    return pieces;
  });
  const chunks: ChatCompletionChunk[] = [];
  for (let turn = 0; queues.some((queue) => queue.length > 0); turn++) {
    const preferred = pick(turn) % queues.length;
    const index = queues[preferred]!.length > 0 ? preferred : queues.findIndex((queue) => queue.length > 0);
    const other = queues.findIndex((queue, at) => at !== index && queue.length > 0);
    const choices = [{ index, delta: { content: queues[index]!.shift()! }, finish_reason: null }];
    if (other !== -1 && pick(turn) % 3 === 0) {
      choices.push({ index: other, delta: { content: queues[other]!.shift()! }, finish_reason: null });
    }
    chunks.push(chunk(choices));
  }
  return chunks;
}

describe("ChatChunkSeparator", () => {
  it("rewrites a realistic qwen3 stream, holding back split tags", () => {
    const separator = new ChatChunkSeparator({ modelType: "qwen3" });
    const out = [
      chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]),
      contentChunk(0, "<thi"),
      contentChunk(0, "nk>\nLet me"),
      contentChunk(0, " think.\n</"),
      contentChunk(0, "think>\n\nParis <"),
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]),
      chunk([], { usage: { prompt_tokens: 5, completion_tokens: 12, total_tokens: 17 } }),
    ].map((input) => separator.transform(input));
    expect(out[0]).toEqual([
      chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]),
    ]);
    expect(out[1]).toEqual([]);
    expect(out[2]).toEqual([
      chunk([{ index: 0, delta: { reasoning_content: "Let me" }, logprobs: null, finish_reason: null }]),
    ]);
    expect(out[3]).toEqual([
      chunk([{ index: 0, delta: { reasoning_content: " think." }, logprobs: null, finish_reason: null }]),
    ]);
    expect(out[4]).toEqual([
      chunk([{ index: 0, delta: { content: "Paris " }, logprobs: null, finish_reason: null }]),
    ]);
    expect(out[5]).toEqual([
      chunk([{ index: 0, delta: { content: "<" }, logprobs: null, finish_reason: "stop" }]),
    ]);
    expect(out[6]).toEqual([
      chunk([], {
        usage: {
          prompt_tokens: 5,
          completion_tokens: 12,
          total_tokens: 17,
          thinking_tokens: 8,
          completion_tokens_details: { reasoning_tokens: 8 },
        },
      }),
    ]);
    expect(separator.flush()).toEqual([]);
  });

  it("splits a delta that holds both kinds into ordered chunks, extra fields on the first", () => {
    const separator = new ChatChunkSeparator({ modelType: "qwen3" });
    const out = separator.transform(
      chunk(
        [{ index: 0, delta: { role: "assistant", content: "a<think>b</think>c" }, finish_reason: "stop" }],
        {
          usage: null,
        },
      ),
    );
    expect(out).toEqual([
      chunk([{ index: 0, delta: { role: "assistant", content: "a" }, finish_reason: null }], { usage: null }),
      chunk([{ index: 0, delta: { reasoning_content: "b" }, finish_reason: null }], { usage: null }),
      chunk([{ index: 0, delta: { content: "c" }, finish_reason: "stop" }], { usage: null }),
    ]);
  });

  it("keeps state per choice index", () => {
    const separator = new ChatChunkSeparator({ modelType: "gpt-oss" });
    const inputs = [
      chunk([
        { index: 0, delta: { content: "<|channel|>analysis<|message|>x<|e" }, finish_reason: null },
        { index: 1, delta: { content: "<|channel|>final<|message|>y" }, finish_reason: null },
      ]),
      chunk([
        {
          index: 0,
          delta: { content: "nd|><|start|>assistant<|channel|>final<|message|>z" },
          finish_reason: null,
        },
        { index: 1, delta: { content: "!" }, finish_reason: "stop" },
      ]),
      finishChunk(0),
    ];
    const out = inputs.flatMap((input) => separator.transform(input));
    const collected = collect(out);
    expect(collected.get(0)).toEqual({ content: "z", reasoning: "x", finishes: 1, afterFinish: 0 });
    expect(collected.get(1)).toEqual({ content: "y!", reasoning: "", finishes: 1, afterFinish: 0 });
    for (const piece of out) expect(piece).toMatchObject(TOP);
  });

  it("passes through a choice the server already splits", () => {
    const separator = new ChatChunkSeparator({ modelType: "deepseek-r1" });
    const inputs = [
      chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]),
      chunk([{ index: 0, delta: { reasoning_content: "hm" }, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: "Paris" }, finish_reason: null }]),
      finishChunk(0),
    ];
    expect(inputs.flatMap((input) => separator.transform(input))).toEqual(inputs);
  });

  it("adds the workflow's usage fields to a server-split stream, from the backend's own count", () => {
    const separator = new ChatChunkSeparator({ modelType: "generic", separateThinking: true });
    const inputs = [
      chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }], { usage: null }),
      chunk([{ index: 0, delta: { reasoning_content: "Ok" }, finish_reason: null }], { usage: null }),
      chunk([{ index: 0, delta: { content: "Hi." }, finish_reason: null }], { usage: null }),
      chunk([{ index: 0, delta: {}, finish_reason: "stop" }], { usage: null }),
    ];
    expect(inputs.flatMap((input) => separator.transform(input))).toEqual(inputs);
    const usage = { prompt_tokens: 9, completion_tokens: 8, total_tokens: 17 };
    const [last] = separator.transform(
      chunk([], { usage: { ...usage, completion_tokens_details: { reasoning_tokens: 2 } } }),
    );
    expect(last!.usage).toEqual({
      ...usage,
      thinking_tokens: 2,
      channel_tokens: { analysis: 2, commentary: 0, final: 6 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
  });

  it("gives `reasoning` deltas (newer vLLM) as reasoning_content too, and estimates without a count", () => {
    const separator = new ChatChunkSeparator({ modelType: "qwen3", separateThinking: true });
    const out = [
      chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]),
      chunk([{ index: 0, delta: { reasoning: "abc" }, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: "d" }, finish_reason: "stop" }]),
    ].flatMap((input) => separator.transform(input));
    expect(out[1]!.choices![0]!.delta).toEqual({ reasoning: "abc", reasoning_content: "abc" });
    expect(out[2]!.choices![0]!.delta).toEqual({ content: "d" });
    const [last] = separator.transform(chunk([], { usage: { completion_tokens: 4 } }));
    expect(last!.usage).toMatchObject({
      thinking_tokens: 3,
      channel_tokens: { analysis: 3, commentary: 0, final: 1 },
    });
  });

  it("emits held-back text at flush when the stream ends without finish_reason", () => {
    const separator = new ChatChunkSeparator({ modelType: "qwen3" });
    expect(separator.transform(contentChunk(0, "x </th"))).toEqual([
      chunk([{ index: 0, delta: { content: "x " }, logprobs: null, finish_reason: null }]),
    ]);
    expect(separator.flush()).toEqual([
      chunk([{ index: 0, delta: { content: "</th" }, finish_reason: null }]),
    ]);
  });

  it("hands on a chunk with nothing to separate as the same object, and flushes under the last chunk's fields", () => {
    const separator = new ChatChunkSeparator({ modelType: "qwen3" });
    const plain = contentChunk(0, "Paris");
    expect(separator.transform(plain)[0]).toBe(plain);
    const last = { ...contentChunk(0, "is <"), model: "last-model" };
    expect(separator.transform(last)).toEqual([
      {
        ...chunk([{ index: 0, delta: { content: "is " }, logprobs: null, finish_reason: null }]),
        model: "last-model",
      },
    ]);
    expect(separator.flush()).toEqual([
      { ...chunk([{ index: 0, delta: { content: "<" }, finish_reason: null }]), model: "last-model" },
    ]);
  });

  it("adds channel_tokens to the usage chunk with separate_thinking", () => {
    const separator = new ChatChunkSeparator({ modelType: "gpt-oss", separateThinking: true });
    separator.transform(contentChunk(0, HARMONY_TEXT));
    separator.transform(finishChunk(0));
    const [usage] = separator.transform(chunk([], { usage: { completion_tokens: 250 } }));
    // The same estimate as separateChatCompletion gives for the whole text.
    expect(usage?.usage?.channel_tokens).toEqual({ analysis: 125, commentary: 68, final: 57 });
    expect(usage?.usage?.thinking_tokens).toBe(193);
  });

  it("matches separateChatCompletion for any chunking of several choices", () => {
    const text = fc
      .array(
        fc.constantFrom(
          "<think>",
          "</think>",
          "\n",
          "Paris",
          " ",
          "<",
          "<|channel|>",
          "analysis",
          "final",
          "<|message|>",
          "<|end|>",
          "🤔",
        ),
        { maxLength: 16 },
      )
      .map((parts) => parts.join(""));
    const modelTypes = fc.constantFrom("qwen3", "deepseek-r1", "gpt-oss", "generic");
    fc.assert(
      fc.property(
        modelTypes,
        fc.array(text, { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.boolean(),
        (modelType, texts, cuts, finish) => {
          const inputs: ChatCompletionChunk[] = [
            chunk(
              texts.map((_, index) => ({
                index,
                delta: { role: "assistant", content: "" },
                finish_reason: null,
              })),
            ),
            ...interleave(texts, cuts),
          ];
          if (finish) inputs.push(...texts.map((_, index) => finishChunk(index)));
          inputs.push(chunk([], { usage: { prompt_tokens: 1, completion_tokens: 20, total_tokens: 21 } }));
          const separator = new ChatChunkSeparator({ modelType });
          const out = [...inputs.flatMap((input) => separator.transform(input)), ...separator.flush()];
          const collected = collect(out);
          const whole = separateChatCompletion(completion(texts), { modelType });
          texts.forEach((_, index) => {
            const message = whole.choices?.[index]?.message;
            const got = collected.get(index);
            expect(got?.content).toBe(message?.content);
            expect(got?.reasoning).toBe(message?.reasoning_content ?? "");
            expect(got?.finishes).toBe(finish ? 1 : 0);
            expect(got?.afterFinish).toBe(0);
          });
          expect(out.find((piece) => piece.usage)?.usage?.thinking_tokens).toBeTypeOf("number");
        },
      ),
      { seed: 2024, numRuns: 150 },
    );
  });
});
