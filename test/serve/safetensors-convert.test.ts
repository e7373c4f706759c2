/**
 * Serving a SafeTensors checkpoint: it is converted to GGUF in-process, and the conversion behaves as the
 * GGUF llama.cpp's converter would write (the fixture writes that one directly): the same greedy tokens
 * for the same prompt, the same /tokenize answers. Real inference on the tiny random checkpoints.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServe, startServe } from "../../src/serve/server.js";
import {
  TINY_PROMPT,
  type TinyCheckpointOptions,
  type TinyFamily,
  writeTinyCheckpoint,
} from "../fixtures/tiny-checkpoint.js";

const ROOT = fileURLToPath(new URL("../.tmp/safetensors-convert/", import.meta.url));

beforeAll(() => rmSync(ROOT, { recursive: true, force: true }));
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

async function serve(modelPath: string): Promise<RunningServe> {
  const running = await startServe({
    modelPath,
    modelName: "tiny",
    port: 0,
    threads: 1,
    deviceMap: "cpu",
    contextSize: 256,
    maxConcurrent: 1,
    logLevel: "silent",
  });
  await running.ready;
  return running;
}

async function post(serve: RunningServe, path: string, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(`${serve.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "tiny", ...body }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** What a client sees of a model: greedy completions and chat, and its tokenizer. */
async function observe(serve: RunningServe) {
  const completion = await post(serve, "/v1/completions", {
    prompt: TINY_PROMPT,
    max_tokens: 16,
    temperature: 0,
  });
  const messages = [{ role: "user", content: TINY_PROMPT }];
  const chat = await post(serve, "/v1/chat/completions", { messages, max_tokens: 12, temperature: 0 });
  const generated = (completion.choices as { text: string }[])[0]!.text;
  return {
    completion: generated,
    completionUsage: completion.usage,
    chat: (chat.choices as { message: unknown }[])[0]!.message,
    chatUsage: chat.usage,
    promptTokens: await post(serve, "/tokenize", { prompt: TINY_PROMPT }),
    contentTokens: await post(serve, "/tokenize", { content: `${TINY_PROMPT} 12345 <|im_end|>` }),
    generatedTokens: await post(serve, "/tokenize", { content: generated }),
    messageTokens: await post(serve, "/tokenize", { messages }),
  };
}

async function compare(family: TinyFamily, options: TinyCheckpointOptions = {}) {
  const variant = options.multimodal === true ? "-multimodal" : options.mistral === true ? "-mistral" : "";
  const name = `${family}-${options.dtype ?? "F32"}${variant}`;
  const tiny = writeTinyCheckpoint(ROOT, name, family, options);
  const converted = await serve(tiny.directory);
  const direct = await serve(tiny.gguf);
  try {
    expect(converted.modelFile).toMatch(/\.switchyard-gguf/);
    // Every key llama.cpp reads is as its converter would write it (general.name aside).
    const metadata = async (file: string) => {
      const { general, ...rest } = (await readGgufFileInfo(file)).metadata as unknown as Record<
        string,
        object
      >;
      return { ...rest, general: { ...general, name: undefined } };
    };
    expect(await metadata(converted.modelFile)).toEqual(await metadata(direct.modelFile));
    const seen = await observe(converted);
    expect(seen).toEqual(await observe(direct));
    // Merges apply: the prompt is fewer tokens than characters.
    expect((seen.promptTokens.tokens as number[]).length).toBeLessThan(TINY_PROMPT.length);
    expect(seen.completion.length).toBeGreaterThan(0);
    return seen;
  } finally {
    await converted.close();
    await direct.close();
  }
}

describe("serve --model-path <SafeTensors checkpoint>", () => {
  it("llama: the conversion answers as the GGUF llama.cpp would write", async () => {
    await compare("llama");
  });

  it("llama in BF16 over sharded files (model.safetensors.index.json) keeps BF16", async () => {
    await compare("llama", { dtype: "BF16", shards: 3 });
  });

  it("mistral (Llama's architecture, SentencePiece-style tokenizer that prefixes a space)", async () => {
    await compare("llama", { mistral: true });
  });

  it("qwen2 (q/k/v biases, no interleave, sharded BF16)", async () => {
    await compare("qwen2", { dtype: "BF16", shards: 2 });
  });

  it("qwen3 (q/k norms, merges stored as pairs)", async () => {
    await compare("qwen3");
  });

  it("gemma3 (1 + w norms, extra norms, tied output, SentencePiece-style tokenizer)", async () => {
    await compare("gemma3");
  });

  it("gemma3 multimodal checkpoint in BF16: the text model is converted, the vision tower left out", async () => {
    await compare("gemma3", { dtype: "BF16", multimodal: true, shards: 2 });
  });

  it("refuses an architecture it cannot convert, naming it and the ways out, before listening", async () => {
    const tiny = writeTinyCheckpoint(ROOT, "phi", "llama", { architecture: "PhiForCausalLM" });
    const started = startServe({ modelPath: tiny.directory, port: 0, threads: 1, logLevel: "silent" });
    await expect(started).rejects.toThrow(/architecture PhiForCausalLM.*convert_hf_to_gguf\.py.*vLLM/);
    expect(existsSync(join(tiny.directory, ".switchyard-gguf"))).toBe(false);
  });
});
