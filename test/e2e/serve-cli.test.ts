/**
 * `switchyard serve` start-up as a real process: what it refuses (not GGUF, a checkpoint it cannot convert,
 * no model path), a SafeTensors checkpoint converted once and reused, and the READY contract (listening first with /health 503 `loading`, READY once the model is loaded).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseReadyLine } from "../../src/process/ready-line.js";
import { writeTinyCheckpoint } from "../fixtures/tiny-checkpoint.js";
import { ensureTinyModel } from "../fixtures/tiny-gguf.js";
import { CLI_PATH } from "../helpers/cli-process.js";
import { getJson } from "../helpers/http.js";

const TMP = fileURLToPath(new URL("../.tmp/serve-cli/", import.meta.url));
const children = new Set<ChildProcess>();

afterAll(async () => {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
});

function serve(args: readonly string[]): {
  child: ChildProcess;
  lines: (onLine: (line: string, stream: "out" | "err") => void) => void;
  exit: Promise<number | null>;
  output: () => string;
} {
  const child = spawn(process.execPath, [CLI_PATH, "serve", "--threads", "1", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  const listeners: ((line: string, stream: "out" | "err") => void)[] = [];
  const split = (stream: "out" | "err") => {
    let pending = "";
    return (chunk: Buffer) => {
      output += chunk.toString("utf8");
      pending += chunk.toString("utf8");
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        for (const listener of listeners) listener(line, stream);
        newline = pending.indexOf("\n");
      }
    };
  };
  child.stdout!.on("data", split("out"));
  child.stderr!.on("data", split("err"));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, lines: (onLine) => listeners.push(onLine), exit, output: () => output };
}

describe("switchyard serve: start-up", () => {
  it("refuses a checkpoint it cannot convert, naming the architecture and how to convert it", async () => {
    const { directory } = writeTinyCheckpoint(TMP, "phi-checkpoint", "llama", {
      architecture: "PhiForCausalLM",
    });
    const run = serve(["--model-path", directory, "--port", "0"]);
    expect(await run.exit).toBe(1);
    expect(run.output()).toContain("PhiForCausalLM");
    expect(run.output()).toContain("convert_hf_to_gguf.py");
    expect(run.output()).not.toContain("READY");
  });

  it("converts a SafeTensors checkpoint on first start with progress on stderr, then reuses it", async () => {
    const { directory } = writeTinyCheckpoint(TMP, "qwen3-checkpoint", "qwen3");
    const cacheDir = join(TMP, "conversions");
    const start = async () => {
      const run = serve(["--model-path", directory, "--cache-dir", cacheDir, "--port", "0"]);
      const ready = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no READY:\n${run.output()}`)), 40_000);
        run.lines((line, stream) => {
          if (stream === "out" && parseReadyLine(line) !== undefined) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await ready;
      run.child.kill("SIGTERM");
      expect(await run.exit).toBe(0);
      return run.output();
    };
    const first = await start();
    expect(first).toContain("converting qwen3-checkpoint to GGUF: 100%");
    expect(first).toContain("converted the checkpoint to GGUF");
    const second = await start();
    expect(second).not.toContain("converting qwen3-checkpoint");
    expect(second).toContain("using the cached GGUF conversion");
    // Two starts of serve, each loading the model: on a loaded shared machine more than the default.
  }, 90_000);

  it("refuses a file that is not GGUF", async () => {
    mkdirSync(TMP, { recursive: true });
    const file = join(TMP, "fake.gguf");
    writeFileSync(file, "plain text");
    const run = serve(["--model-path", file, "--port", "0"]);
    expect(await run.exit).toBe(1);
    expect(run.output()).toMatch(/not a GGUF file/);
  });

  it("requires --model-path", async () => {
    const run = serve(["--port", "0"]);
    expect(await run.exit).toBe(1);
    expect(run.output()).toMatch(/--model-path/);
  });

  it("listens first (/health 503 loading), prints READY once the model is loaded, exits 0 on SIGTERM", async () => {
    const run = serve([
      "--model-path",
      ensureTinyModel(),
      "--model-name",
      "tiny",
      "--port",
      "0",
      "--log-level",
      "info",
    ]);
    const seen: { loading?: { status: number; body: unknown; retryAfter: string | null }; ready?: string } =
      {};
    const ready = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no READY:\n${run.output()}`)), 20_000);
      let probing: Promise<void> | undefined;
      run.lines((line, stream) => {
        if (stream === "err" && line.includes('"listening; loading')) {
          const { url } = JSON.parse(line) as { url: string };
          probing = getJson(`${url}/health`).then((health) => {
            seen.loading = {
              status: health.status,
              body: health.body,
              retryAfter: health.headers.get("retry-after"),
            };
          });
        }
        const parsed = stream === "out" ? parseReadyLine(line) : undefined;
        if (parsed) {
          clearTimeout(timer);
          void (probing ?? Promise.resolve()).then(() => resolve(parsed.url));
        }
      });
    });
    const url = await ready;
    expect(seen.loading).toEqual({
      status: 503,
      body: { status: "loading", model: "tiny" },
      retryAfter: "2",
    });
    const health = await getJson(`${url}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "ok", model: "tiny" });
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);
  });
});
