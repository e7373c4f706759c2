/**
 * The conversion cache: a converted checkpoint is reused, a changed one converts again (replacing the
 * stale file), and an interrupted conversion never leaves a file taken as complete.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseServeOptions } from "../../src/serve/options.js";
import { convertedPath, ensureConverted } from "../../src/serve/safetensors/conversion-cache.js";
import { planConversion } from "../../src/serve/safetensors/conversion-plan.js";
import { startServe } from "../../src/serve/server.js";
import { writeTinyCheckpoint } from "../fixtures/tiny-checkpoint.js";

const ROOT = fileURLToPath(new URL("../.tmp/conversion-cache/", import.meta.url));

beforeAll(() => rmSync(ROOT, { recursive: true, force: true }));
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

/** The id of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  return child.pid!;
}

describe("conversion cache", () => {
  it("converts once; a second start reuses the file", async () => {
    const { directory } = writeTinyCheckpoint(ROOT, "reuse", "qwen2");
    const cacheDir = join(ROOT, "cache");
    const plan = await planConversion(directory);
    const target = await convertedPath(plan, cacheDir);
    expect(target.startsWith(cacheDir)).toBe(true);
    const progress: number[] = [];
    expect(await ensureConverted(plan, target, (done) => progress.push(done))).toBe(true);
    expect(progress.at(-1)).toBe(plan.totalBytes);
    const written = statSync(target).mtimeMs;
    expect(await ensureConverted(await planConversion(directory), target)).toBe(false);

    // Through serve: the same path, not written again, and nothing inside the checkpoint.
    const serve = await startServe({
      modelPath: directory,
      cacheDir,
      port: 0,
      threads: 1,
      logLevel: "silent",
    });
    try {
      await serve.ready;
      expect(serve.modelFile).toBe(target);
      expect(serve.modelName).toBe("reuse");
    } finally {
      await serve.close();
    }
    expect(statSync(target).mtimeMs).toBe(written);
    expect(existsSync(join(directory, ".switchyard-gguf"))).toBe(false);
  });

  it("converts a changed checkpoint again and removes the stale conversion", async () => {
    const { directory } = writeTinyCheckpoint(ROOT, "changed", "qwen2");
    const first = await planConversion(directory);
    const before = await convertedPath(first, undefined);
    await ensureConverted(first, before);
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(directory, "model.safetensors"), later, later);
    const second = await planConversion(directory);
    const after = await convertedPath(second, undefined);
    expect(after).not.toBe(before);
    expect(await ensureConverted(second, after)).toBe(true);
    expect(readdirSync(join(directory, ".switchyard-gguf"))).toEqual([after.split("/").at(-1)]);
  });

  it("never takes a partial file as done: a killed run's leftover is ignored, a failed run leaves nothing", async () => {
    const { directory } = writeTinyCheckpoint(ROOT, "partial", "qwen2");
    const plan = await planConversion(directory);
    const target = await convertedPath(plan, join(ROOT, "partial-cache"));
    const failing = ensureConverted(plan, target, () => {
      throw new Error("killed");
    });
    await expect(failing).rejects.toThrow("killed");
    expect(readdirSync(join(ROOT, "partial-cache"))).toEqual([]);

    // What a SIGKILL leaves: a temporary file, never renamed. Its process is gone, so it is removed too.
    const abandoned = `${target}.${deadPid()}.partial`;
    writeFileSync(abandoned, Buffer.from("GGUF half"));
    expect(await ensureConverted(plan, target)).toBe(true);
    expect(statSync(target).size).toBeGreaterThan(plan.totalBytes);
    expect(existsSync(abandoned)).toBe(false);
  });
});

describe("closing serve while it converts", () => {
  it("stops the conversion and leaves no file behind", async () => {
    const { directory } = writeTinyCheckpoint(ROOT, "closed", "llama");
    const cacheDir = join(ROOT, "closed-cache");
    const serve = await startServe({
      modelPath: directory,
      cacheDir,
      port: 0,
      threads: 1,
      logLevel: "silent",
    });
    await serve.close();
    await expect(serve.ready).rejects.toThrow(/closed while converting/);
    expect(existsSync(cacheDir) ? readdirSync(cacheDir) : []).toEqual([]);
  });
});

describe("--device-map", () => {
  it("accepts balanced and refuses sequential with what to use instead", () => {
    expect(parseServeOptions({ modelPath: "m", deviceMap: "balanced" }).deviceMap).toBe("balanced");
    expect(() => parseServeOptions({ modelPath: "m", deviceMap: "sequential" })).toThrow(
      /sequential \(fill GPU 0 first\) is not available with llama\.cpp; use balanced/,
    );
  });
});
