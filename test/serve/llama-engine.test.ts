/**
 * The node-llama-cpp engine in this process on the tiny generated model: parallel sequences, abort that
 * returns the sequence, exact token meters, grammars, embeddings.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GeneratedPiece, GenerationJob } from "../../src/serve/engine.js";
import { LlamaEngine } from "../../src/serve/llama-engine.js";
import { parseResponseFormat } from "../../src/serve/response-format.js";
import { samplingOptions } from "../../src/serve/sampling.js";
import { ensureTinyModel, TINY_MODEL } from "../fixtures/tiny-gguf.js";

let engine: LlamaEngine;

beforeAll(async () => {
  engine = await LlamaEngine.load({
    modelFile: ensureTinyModel(),
    modelType: "qwen3",
    deviceMap: "cpu",
    maxConcurrent: 2,
    contextSize: 1024,
    threads: 1,
    log: () => undefined,
  });
});

afterAll(async () => {
  await engine?.dispose();
});

function job(pieces: GeneratedPiece[], extra: Partial<GenerationJob> = {}): GenerationJob {
  return {
    sampling: samplingOptions({ temperature: 0 }),
    format: { kind: "text" },
    signal: new AbortController().signal,
    onPiece: (piece) => pieces.push(piece),
    ...extra,
  };
}

const history = [
  { type: "user" as const, text: "Hello" },
  { type: "model" as const, response: [] },
];

describe("LlamaEngine", () => {
  it("describes the model", () => {
    expect(engine.info).toMatchObject({
      modelType: "qwen3",
      contextSize: 1024,
      trainContextSize: 2048,
      embeddingLength: TINY_MODEL.embeddingLength,
      gpu: false,
      threads: 1,
      chatWrapper: "Qwen",
    });
  });

  it("generates a thought segment and the answer, counting tokens from the sequence's meter", async () => {
    const prepared = await engine.prepareChat(history, undefined, { kind: "text" });
    expect(prepared.promptTokens).toBeGreaterThan(5);
    const pieces: GeneratedPiece[] = [];
    const outcome = await engine.generateChat(prepared, job(pieces));
    expect(outcome.stop).toBe("stop");
    const text = (channel: string) =>
      pieces
        .filter((piece) => piece.channel === channel)
        .map((piece) => piece.text)
        .join("");
    expect(text("thought")).toBe(TINY_MODEL.thought);
    expect(text("final")).toBe(TINY_MODEL.answer);
    expect(pieces.find((piece) => piece.channel === "thought")?.opens).toBe(true);
    // <think>\n, O, k, \n</think>, H, i, ., <|im_end|>
    expect(outcome.completionTokens).toBe(8);
  });

  it("runs generations on both sequences at once", async () => {
    const prepared = await engine.prepareCompletion(TINY_MODEL.loopPrompt, { kind: "text" });
    const outcomes = await Promise.all(
      [0, 1].map(() =>
        engine.generateCompletion(prepared, job([], { sampling: samplingOptions({ max_tokens: 20 }) })),
      ),
    );
    expect(outcomes).toEqual([
      { stop: "length", completionTokens: 20 },
      { stop: "length", completionTokens: 20 },
    ]);
  });

  it("stops at once on abort and gives the sequence back", async () => {
    const prepared = await engine.prepareCompletion(TINY_MODEL.loopPrompt, { kind: "text" });
    const controller = new AbortController();
    let count = 0;
    const outcome = await engine.generateCompletion(prepared, {
      ...job([]),
      sampling: samplingOptions({ max_tokens: 1_000_000 }),
      signal: controller.signal,
      onPiece: () => {
        count++;
        if (count === 50) controller.abort();
      },
    });
    expect(outcome.stop).toBe("abort");
    expect(count).toBeLessThan(60);
    // Both sequences are free again: two more generations run side by side.
    const again = await Promise.all(
      [0, 1].map(() =>
        engine.generateCompletion(prepared, job([], { sampling: samplingOptions({ max_tokens: 3 }) })),
      ),
    );
    expect(again.map((outcome) => outcome.stop)).toEqual(["length", "length"]);
  });

  it("resolves an abort that came before generation started", async () => {
    const prepared = await engine.prepareChat(history, undefined, { kind: "text" });
    const controller = new AbortController();
    controller.abort();
    const outcome = await engine.generateChat(prepared, job([], { signal: controller.signal }));
    expect(outcome.stop).toBe("abort");
  });

  it("holds output to a JSON schema with a grammar", async () => {
    const format = parseResponseFormat({
      type: "json_schema",
      json_schema: { schema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] } },
    });
    if (!format.ok) throw new Error(format.error.message);
    const prepared = await engine.prepareChat(history, undefined, format.format);
    const pieces: GeneratedPiece[] = [];
    await engine.generateChat(prepared, job(pieces, { format: format.format }));
    const text = pieces.map((piece) => piece.text).join("");
    expect(JSON.parse(text)).toEqual({ n: 1 });
  });

  it("parses special tokens in raw completion prompts", async () => {
    const prepared = await engine.prepareCompletion("<|im_start|>user\nHi<|im_end|>\n", { kind: "text" });
    // <|im_start|>, u, s, e, r, \n, H, i, <|im_end|>, \n
    expect(prepared.promptTokens).toBe(10);
  });

  it("embeds text", async () => {
    const result = await engine.embed(["hello", [72, 105]], new AbortController().signal);
    expect(result.promptTokens).toBe(7);
    expect(result.vectors.map((vector) => vector.length)).toEqual([
      TINY_MODEL.embeddingLength,
      TINY_MODEL.embeddingLength,
    ]);
  });

  it("counts tokens with the model's tokenizer", () => {
    expect(engine.countTokens("")).toBe(0);
    expect(engine.countTokens("Hi.")).toBe(3);
  });
});
