import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModelName, ModelFileError, resolveModelFile } from "../../src/serve/model-file.js";

const ROOT = fileURLToPath(new URL("../.tmp/model-file/", import.meta.url));
const GGUF = Buffer.concat([Buffer.from("GGUF"), Buffer.alloc(16)]);

function folder(name: string, files: Record<string, Buffer | string>): string {
  const path = join(ROOT, name);
  mkdirSync(path, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(path, file), content);
  return path;
}

beforeAll(() => rmSync(ROOT, { recursive: true, force: true }));
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

describe("resolveModelFile", () => {
  it("accepts a GGUF file, and a directory holding exactly one", async () => {
    const dir = folder("one", { "model-q8_0.gguf": GGUF, "README.md": "hi" });
    expect(await resolveModelFile(join(dir, "model-q8_0.gguf"))).toBe(join(dir, "model-q8_0.gguf"));
    expect(await resolveModelFile(dir)).toBe(join(dir, "model-q8_0.gguf"));
  });

  it("picks the first part of a split model", async () => {
    const dir = folder("split", {
      "big-00001-of-00002.gguf": GGUF,
      "big-00002-of-00002.gguf": Buffer.from("rest"),
    });
    expect(await resolveModelFile(dir)).toBe(join(dir, "big-00001-of-00002.gguf"));
  });

  it("refuses a SafeTensors checkpoint with the conversion command", async () => {
    const dir = folder("hf", { "config.json": "{}", "model.safetensors": "x" });
    await expect(resolveModelFile(dir)).rejects.toThrow(ModelFileError);
    await expect(resolveModelFile(dir)).rejects.toThrow(/convert_hf_to_gguf\.py/);
    await expect(resolveModelFile(join(dir, "model.safetensors"))).rejects.toThrow(
      /\.safetensors checkpoint/,
    );
  });

  it("refuses a file without the GGUF header, a missing path, an empty or ambiguous directory", async () => {
    const dir = folder("bad", { "fake.gguf": "text" });
    await expect(resolveModelFile(join(dir, "fake.gguf"))).rejects.toThrow(/not a GGUF file/);
    await expect(resolveModelFile(join(dir, "missing.gguf"))).rejects.toThrow(/not found/);
    await expect(resolveModelFile(folder("empty", {}))).rejects.toThrow(/no \.gguf file/);
    await expect(resolveModelFile(folder("two", { "a.gguf": GGUF, "b.gguf": GGUF }))).rejects.toThrow(
      /several GGUF models/,
    );
  });
});

describe("defaultModelName", () => {
  it("is the file name without .gguf or split suffix", () => {
    expect(defaultModelName("/m/Qwen3-8B-Q4_K_M.gguf")).toBe("Qwen3-8B-Q4_K_M");
    expect(defaultModelName("/m/gpt-oss-20b-00001-of-00002.gguf")).toBe("gpt-oss-20b");
  });
});
