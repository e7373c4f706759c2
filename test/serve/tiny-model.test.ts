/** The test model generator: a valid GGUF v3 file, byte-identical on every run. */
import { readGgufFileInfo } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { ensureTinyModel, TINY_MODEL, tinyModelBytes } from "../fixtures/tiny-gguf.js";

describe("tiny GGUF generator", () => {
  it("writes the same bytes every time, in GGUF v3", () => {
    const bytes = tinyModelBytes();
    expect(bytes.equals(tinyModelBytes())).toBe(true);
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("GGUF");
    expect(bytes.readUInt32LE(4)).toBe(3);
  });

  it("carries the metadata llama.cpp needs, read back by node-llama-cpp's own parser", async () => {
    const info = await readGgufFileInfo(ensureTinyModel());
    const metadata = info.metadata as unknown as {
      general: { architecture: string };
      llama: { embedding_length: number; context_length: number };
      tokenizer: { ggml: { model: string; tokens: string[] }; chat_template: string };
    };
    expect(metadata.general.architecture).toBe("llama");
    expect(metadata.llama.embedding_length).toBe(TINY_MODEL.embeddingLength);
    expect(metadata.tokenizer.ggml.model).toBe("gpt2");
    expect(metadata.tokenizer.ggml.tokens).toContain("<|im_end|>");
    expect(metadata.tokenizer.chat_template).toContain("<|im_start|>assistant");
  });
});
