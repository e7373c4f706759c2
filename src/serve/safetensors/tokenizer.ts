/**
 * `tokenizer.json` (Hugging Face tokenizers) → llama.cpp's tokenizer keys. Two BPE flavours are read:
 * byte-level BPE (Llama 3, Qwen: llama.cpp's `gpt2` model, with merges and a pre-tokenizer name) and
 * SentencePiece-style BPE with byte fallback (Gemma: llama.cpp's `llama` model, where merge priority
 * travels as token scores). Special tokens, BOS/EOS and the chat template come from
 * `tokenizer_config.json` (or `chat_template.jinja`), with config.json's ids as the fallback.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { GgufValue } from "../gguf/writer.js";
import { ModelFileError } from "../model-file.js";
import type { Architecture } from "./architectures.js";
import type { JsonObject } from "./checkpoint.js";

/** llama.cpp's llama_token_type values. */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

interface AddedToken {
  id: number;
  content: string;
  special?: boolean;
}

export interface TokenizerFiles {
  readonly tokenizer: JsonObject;
  readonly config: JsonObject;
  /** The checkpoint's config.json (BOS/EOS ids when tokenizer_config.json names none). */
  readonly modelConfig: JsonObject;
  /** `chat_template.jinja`, which newer checkpoints use instead of the config entry. */
  readonly templateFile: string | undefined;
}

function readJson(path: string): JsonObject {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as JsonObject;
  } catch {
    throw new ModelFileError(`${path} is not valid JSON`);
  }
}

/** The tokenizer files of a checkpoint; tokenizer.json is required. */
export function readTokenizerFiles(directory: string, modelConfig: JsonObject): TokenizerFiles {
  const tokenizerPath = join(directory, "tokenizer.json");
  if (!existsSync(tokenizerPath)) {
    throw new ModelFileError(
      `${directory} has no tokenizer.json (a fast tokenizer); serve converts only checkpoints that ship one`,
    );
  }
  const configPath = join(directory, "tokenizer_config.json");
  const templatePath = join(directory, "chat_template.jinja");
  return {
    tokenizer: readJson(tokenizerPath),
    config: existsSync(configPath) ? readJson(configPath) : {},
    modelConfig,
    templateFile: existsSync(templatePath) ? readFileSync(templatePath, "utf8") : undefined,
  };
}

/**
 * Pre-tokenizer by the split regex the tokenizer declares; llama.cpp names them (`llama-bpe` splits
 * digits in threes, `qwen2` one by one). Unknown ones fall back to the family's.
 */
function preTokenizerOf(tokenizer: JsonObject, fallback: string): string {
  const text = JSON.stringify(tokenizer.pre_tokenizer ?? {});
  // Mistral Nemo's Tekken splits words at case changes (and digits one by one).
  if (text.includes("[\\\\p{Lu}\\\\p{Lt}\\\\p{Lm}\\\\p{Lo}\\\\p{M}]*[\\\\p{Ll}")) return "tekken";
  if (text.includes("\\\\p{N}{1,3}")) return "llama-bpe";
  if (text.includes("\\\\p{N}|")) return "qwen2";
  return fallback;
}

function tokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && typeof (value as JsonObject).content === "string") {
    return (value as JsonObject).content as string;
  }
  return undefined;
}

function firstId(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (Array.isArray(value) && typeof value[0] === "number") return value[0];
  return undefined;
}

function chatTemplateOf(files: TokenizerFiles): string | undefined {
  const template = files.config.chat_template;
  if (typeof template === "string") return template;
  if (Array.isArray(template)) {
    const named = template as { name?: string; template?: string }[];
    return (named.find((entry) => entry.name === "default") ?? named[0])?.template;
  }
  return files.templateFile;
}

/** BOS is added when tokenizer_config.json says so, or when the post-processor's template inserts it. */
function addsBos(files: TokenizerFiles, bos: string | undefined): boolean {
  if (typeof files.config.add_bos_token === "boolean") return files.config.add_bos_token;
  if (bos === undefined) return false;
  return JSON.stringify(files.tokenizer.post_processor ?? {}).includes(JSON.stringify(bos));
}

/** Whether text is split into bytes mapped to printable characters (GPT-2's scheme) before BPE. */
function isByteLevel(tokenizer: JsonObject): boolean {
  return JSON.stringify(tokenizer.pre_tokenizer ?? {}).includes('"ByteLevel"');
}

/** Tokens by id, padded to the embedding's rows with unused `[PAD<id>]` tokens. */
class Vocabulary {
  readonly tokens: string[];
  readonly types: number[];
  readonly ids = new Map<string, number>();

  constructor(readonly size: number) {
    this.tokens = new Array<string>(size);
    this.types = new Array<number>(size).fill(TOKEN_TYPE.normal);
  }

  place(text: string, id: number, type: number): void {
    if (id >= this.size) {
      throw new ModelFileError(`tokenizer.json: token id ${id} is beyond the embedding's ${this.size} rows`);
    }
    this.tokens[id] = text;
    this.types[id] = type;
    this.ids.set(text, id);
  }

  fillGaps(): void {
    for (let id = 0; id < this.size; id++) {
      if (this.tokens[id] === undefined) {
        this.tokens[id] = `[PAD${id}]`;
        this.types[id] = TOKEN_TYPE.unused;
      }
    }
  }
}

type Entry = [string, GgufValue];

function mergesOf(model: JsonObject): string[] {
  return ((model.merges ?? []) as (string | string[])[]).map((merge) =>
    Array.isArray(merge) ? merge.join(" ") : merge,
  );
}

function byteLevelEntries(files: TokenizerFiles, architecture: Architecture, merges: string[]): Entry[] {
  return [
    ["tokenizer.ggml.model", { type: "string", value: "gpt2" }],
    [
      "tokenizer.ggml.pre",
      { type: "string", value: preTokenizerOf(files.tokenizer, architecture.preTokenizer) },
    ],
    ["tokenizer.ggml.merges", { type: "strings", value: merges }],
  ];
}

/**
 * Whether text gets a leading ▁ before tokenizing: Llama 2 and Mistral do (a Metaspace pre-tokenizer
 * that prepends, or a normaliser that prepends); Gemma only turns spaces into ▁.
 */
function addsSpacePrefix(tokenizer: JsonObject): boolean {
  const steps = JSON.stringify([tokenizer.normalizer ?? null, tokenizer.pre_tokenizer ?? null]);
  if (steps.includes('"Prepend"')) return true;
  if (!steps.includes('"Metaspace"')) return false;
  return !steps.includes('"prepend_scheme":"never"') && !steps.includes('"add_prefix_space":false');
}

/**
 * SentencePiece BPE: llama.cpp merges the adjacent pair whose joined piece scores highest, so a piece
 * made by the n-th merge scores -n (earlier merges first); pieces no merge makes score 0.
 */
function sentencePieceEntries(tokenizer: JsonObject, vocabulary: Vocabulary, merges: string[]): Entry[] {
  const scores = new Array<number>(vocabulary.size).fill(0);
  merges.forEach((merge, rank) => {
    const id = vocabulary.ids.get(merge.replace(" ", ""));
    if (id !== undefined && scores[id] === 0) scores[id] = -(rank + 1);
  });
  vocabulary.tokens.forEach((token, id) => {
    if (/^<0x[0-9A-F]{2}>$/.test(token) && vocabulary.types[id] === TOKEN_TYPE.normal) {
      vocabulary.types[id] = TOKEN_TYPE.byte;
    }
  });
  return [
    ["tokenizer.ggml.model", { type: "string", value: "llama" }],
    ["tokenizer.ggml.scores", { type: "float32s", value: scores }],
    ["tokenizer.ggml.add_space_prefix", { type: "bool", value: addsSpacePrefix(tokenizer) }],
  ];
}

/** The `tokenizer.*` keys, for a vocabulary of `vocabularySize` ids (the embedding's rows). */
export function tokenizerMetadata(
  files: TokenizerFiles,
  architecture: Architecture,
  vocabularySize: number,
): Entry[] {
  const model = files.tokenizer.model as JsonObject | undefined;
  const byteLevel = isByteLevel(files.tokenizer);
  if (
    model?.type !== "BPE" ||
    typeof model.vocab !== "object" ||
    model.vocab === null ||
    (!byteLevel && model.byte_fallback !== true)
  ) {
    throw new ModelFileError(
      `tokenizer.json: a ${String(model?.type)} tokenizer is not converted in-process (byte-level BPE and ` +
        "SentencePiece-style BPE are); convert the checkpoint with llama.cpp's convert_hf_to_gguf.py",
    );
  }
  const vocabulary = new Vocabulary(vocabularySize);
  for (const [text, id] of Object.entries(model.vocab as Record<string, number>)) {
    vocabulary.place(text, id, TOKEN_TYPE.normal);
  }
  for (const added of (files.tokenizer.added_tokens ?? []) as AddedToken[]) {
    vocabulary.place(
      added.content,
      added.id,
      added.special === true ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined,
    );
  }
  const unk = typeof model.unk_token === "string" ? vocabulary.ids.get(model.unk_token) : undefined;
  if (unk !== undefined) vocabulary.types[unk] = TOKEN_TYPE.unknown;
  vocabulary.fillGaps();
  const merges = mergesOf(model);
  const flavour = byteLevel
    ? byteLevelEntries(files, architecture, merges)
    : sentencePieceEntries(files.tokenizer, vocabulary, merges);
  const bos = tokenText(files.config.bos_token);
  const eos = tokenText(files.config.eos_token);
  const idOf = (text: string | undefined) => (text === undefined ? undefined : vocabulary.ids.get(text));
  const special: [string, number | undefined][] = [
    ["bos", idOf(bos) ?? firstId(files.modelConfig.bos_token_id)],
    ["eos", idOf(eos) ?? firstId(files.modelConfig.eos_token_id)],
    ["unknown", unk],
    ["padding", idOf(tokenText(files.config.pad_token))],
  ];
  const template = chatTemplateOf(files);
  const entries: Entry[] = [
    ...flavour,
    ["tokenizer.ggml.tokens", { type: "strings", value: vocabulary.tokens }],
    ["tokenizer.ggml.token_type", { type: "int32s", value: vocabulary.types }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: addsBos(files, bos) }],
  ];
  for (const [name, id] of special) {
    if (id !== undefined) entries.push([`tokenizer.ggml.${name}_token_id`, { type: "uint32", value: id }]);
  }
  if (template !== undefined) entries.push(["tokenizer.chat_template", { type: "string", value: template }]);
  return entries;
}
