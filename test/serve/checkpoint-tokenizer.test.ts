/**
 * The tokenizer conversion's edge cases, on the JSON alone: where the chat template comes from, BOS/EOS
 * fallbacks to config.json, and the tokenizers it refuses.
 */
import { describe, expect, it } from "vitest";
import type { GgufValue } from "../../src/serve/gguf/writer.js";
import { ModelFileError } from "../../src/serve/model-file.js";
import { architectureOf } from "../../src/serve/safetensors/architectures.js";
import { type TokenizerFiles, tokenizerMetadata } from "../../src/serve/safetensors/tokenizer.js";
import { byteLevelTokenizer } from "../fixtures/tiny-tokenizers.js";

const QWEN = architectureOf({ architectures: ["Qwen2ForCausalLM"] }, "/m");
const tiny = byteLevelTokenizer("qwen2");

function files(overrides: Partial<TokenizerFiles>): TokenizerFiles {
  return {
    tokenizer: tiny.tokenizerJson as TokenizerFiles["tokenizer"],
    config: {},
    modelConfig: {},
    templateFile: undefined,
    ...overrides,
  };
}

function metadata(input: TokenizerFiles): Map<string, GgufValue> {
  return new Map(tokenizerMetadata(input, QWEN, tiny.size + 2));
}

describe("tokenizerMetadata", () => {
  it("takes the chat template from the config, its named list, or chat_template.jinja", () => {
    const named = [
      { name: "tool_use", template: "tools" },
      { name: "default", template: "chat" },
    ];
    expect(metadata(files({ config: { chat_template: named } })).get("tokenizer.chat_template")).toEqual({
      type: "string",
      value: "chat",
    });
    expect(metadata(files({ templateFile: "from jinja" })).get("tokenizer.chat_template")?.value).toBe(
      "from jinja",
    );
    expect(metadata(files({})).has("tokenizer.chat_template")).toBe(false);
  });

  it("falls back to config.json's BOS/EOS ids (the first of a list), and pads the vocabulary", () => {
    const result = metadata(files({ modelConfig: { bos_token_id: 5, eos_token_id: [7, 8] } }));
    expect(result.get("tokenizer.ggml.bos_token_id")?.value).toBe(5);
    expect(result.get("tokenizer.ggml.eos_token_id")?.value).toBe(7);
    const tokens = result.get("tokenizer.ggml.tokens")!.value as string[];
    expect(tokens.at(-1)).toBe(`[PAD${tiny.size + 1}]`);
    expect((result.get("tokenizer.ggml.token_type")!.value as number[]).at(-1)).toBe(5);
    expect(result.get("tokenizer.ggml.add_bos_token")?.value).toBe(false);
  });

  it("names the pre-tokenizer by its split regex (Tekken, Llama 3, Qwen)", () => {
    const withRegex = (regex: string) => ({
      ...tiny.tokenizerJson,
      pre_tokenizer: {
        type: "Sequence",
        pretokenizers: [{ type: "Split", pattern: { Regex: regex } }, { type: "ByteLevel" }],
      },
    });
    const pre = (regex: string) =>
      metadata(files({ tokenizer: withRegex(regex) })).get("tokenizer.ggml.pre")?.value;
    const tekken =
      "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s+";
    expect(pre(tekken)).toBe("tekken");
    expect(pre("(?i:'s|'t)|\\p{N}{1,3}|\\s+")).toBe("llama-bpe");
    expect(pre("(?i:'s|'t)|\\p{N}|\\s+")).toBe("qwen2");
    expect(pre("\\s+")).toBe("qwen2");
  });

  it("refuses a Unigram tokenizer and ids beyond the embedding", () => {
    const unigram = { ...tiny.tokenizerJson, model: { type: "Unigram", vocab: [] } };
    expect(() => metadata(files({ tokenizer: unigram }))).toThrow(/Unigram tokenizer is not converted/);
    expect(() => tokenizerMetadata(files({}), QWEN, 10)).toThrow(ModelFileError);
  });
});
