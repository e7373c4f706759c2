/**
 * `tokenizer.json` (Hugging Face tokenizers, byte-level BPE) → llama.cpp's `gpt2` tokenizer keys:
 * vocabulary in id order, merges, token types, BOS/EOS and the chat template from `tokenizer_config.json`.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { GgufValue } from "../gguf/writer.js";
import { ModelFileError } from "../model-file.js";
import type { Architecture } from "./architectures.js";
import type { JsonObject } from "./checkpoint.js";

/** llama.cpp's llama_token_type values. */
const TOKEN_TYPE = { normal: 1, control: 3, userDefined: 4, unused: 5 } as const;

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
  const single = JSON.stringify((files.tokenizer.post_processor as JsonObject | null)?.single ?? []);
  const nested = JSON.stringify(files.tokenizer.post_processor ?? {});
  return single.includes(JSON.stringify(bos)) || nested.includes(`"id":${JSON.stringify(bos)}`);
}

type Entry = [string, GgufValue];

/**
 * The `tokenizer.*` keys for a byte-level BPE tokenizer, padded to `vocabularySize` (the embedding's
 * rows, which may exceed the tokenizer's ids) with unused `[PAD<id>]` tokens.
 */
export function tokenizerMetadata(
  files: TokenizerFiles,
  architecture: Architecture,
  vocabularySize: number,
): Entry[] {
  const model = files.tokenizer.model as JsonObject | undefined;
  if (model?.type !== "BPE" || typeof model.vocab !== "object" || model.vocab === null) {
    throw new ModelFileError(
      `tokenizer.json: model type ${String(model?.type)} is not supported in-process (only byte-level BPE)`,
    );
  }
  const tokens: (string | undefined)[] = new Array(vocabularySize).fill(undefined);
  const types: number[] = new Array(vocabularySize).fill(TOKEN_TYPE.normal);
  const ids = new Map<string, number>();
  const place = (text: string, id: number, type: number) => {
    if (id >= vocabularySize) {
      throw new ModelFileError(
        `tokenizer.json: token id ${id} is beyond the embedding's ${vocabularySize} rows`,
      );
    }
    tokens[id] = text;
    types[id] = type;
    ids.set(text, id);
  };
  for (const [text, id] of Object.entries(model.vocab as Record<string, number>))
    place(text, id, TOKEN_TYPE.normal);
  for (const added of (files.tokenizer.added_tokens ?? []) as AddedToken[]) {
    place(added.content, added.id, added.special === true ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined);
  }
  tokens.forEach((text, id) => {
    if (text === undefined) {
      tokens[id] = `[PAD${id}]`;
      types[id] = TOKEN_TYPE.unused;
    }
  });
  const merges = ((model.merges ?? []) as (string | string[])[]).map((merge) =>
    Array.isArray(merge) ? merge.join(" ") : merge,
  );
  const bos = tokenText(files.config.bos_token);
  const eos = tokenText(files.config.eos_token);
  const bosId = (bos === undefined ? undefined : ids.get(bos)) ?? firstId(files.modelConfig.bos_token_id);
  const eosId = (eos === undefined ? undefined : ids.get(eos)) ?? firstId(files.modelConfig.eos_token_id);
  const padId = ids.get(tokenText(files.config.pad_token) ?? "");
  const template = chatTemplateOf(files);
  const entries: Entry[] = [
    ["tokenizer.ggml.model", { type: "string", value: "gpt2" }],
    [
      "tokenizer.ggml.pre",
      { type: "string", value: preTokenizerOf(files.tokenizer, architecture.preTokenizer) },
    ],
    ["tokenizer.ggml.tokens", { type: "strings", value: tokens as string[] }],
    ["tokenizer.ggml.token_type", { type: "int32s", value: types }],
    ["tokenizer.ggml.merges", { type: "strings", value: merges }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: addsBos(files, bos) }],
  ];
  if (bosId !== undefined) entries.push(["tokenizer.ggml.bos_token_id", { type: "uint32", value: bosId }]);
  if (eosId !== undefined) entries.push(["tokenizer.ggml.eos_token_id", { type: "uint32", value: eosId }]);
  if (padId !== undefined)
    entries.push(["tokenizer.ggml.padding_token_id", { type: "uint32", value: padId }]);
  if (template !== undefined) entries.push(["tokenizer.chat_template", { type: "string", value: template }]);
  return entries;
}
