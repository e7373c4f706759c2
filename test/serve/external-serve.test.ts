/**
 * `serve --engine vllm` on a stand-in `vllm` on PATH: serve's API in front of the supervised engine —
 * /health 503 until the engine is ready, the same admission queue (a 429 in OpenAI's shape when full),
 * /queue/status and /metrics, the engine's answers (reasoning_content included) relayed, streams too;
 * closing stops the engine; a missing engine names what to install.
 */
import { rmSync } from "node:fs";
import { delimiter } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe } from "../../src/serve/server.js";
import { installStandInEngine } from "../fixtures/stand-in-engine.js";
import { ensureTinyModel } from "../fixtures/tiny-gguf.js";

const ROOT = fileURLToPath(new URL("../.tmp/external-serve/", import.meta.url));
const originalPath = process.env.PATH;
let bin = "";

beforeAll(() => {
  rmSync(ROOT, { recursive: true, force: true });
  bin = installStandInEngine(ROOT);
  process.env.PATH = `${bin}${delimiter}${originalPath ?? ""}`;
});
afterAll(() => {
  process.env.PATH = originalPath;
  rmSync(ROOT, { recursive: true, force: true });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const post = (url: string, body: object) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("serve --engine vllm", () => {
  it("serves its API in front of the supervised engine, and stops the engine on close", async () => {
    const serve = await startServe({
      modelPath: "/models/gemma-3-4b-it",
      modelName: "gemma",
      engine: "vllm",
      deviceMap: "cpu",
      port: 0,
      maxConcurrent: 1,
      maxQueue: 0,
      logLevel: "silent",
    });
    let enginePid = 0;
    try {
      // The stand-in answers its health route 503 twice first, so the engine is not ready yet.
      const loading = await fetch(`${serve.url}/health`);
      expect(loading.status).toBe(503);
      expect(await loading.json()).toEqual({ status: "loading", model: "gemma", engine: "vllm" });
      await serve.ready;
      expect(await (await fetch(`${serve.url}/health`)).json()).toMatchObject({
        status: "ok",
        engine: "vllm",
      });

      const models = (await (await fetch(`${serve.url}/v1/models`)).json()) as {
        data: { id: string; pid: number; cuda: string | null }[];
      };
      expect(models.data[0]!.id).toBe("gemma");
      // --device-map cpu: the engine sees no GPU.
      expect(models.data[0]!.cuda).toBe("");
      enginePid = models.data[0]!.pid;

      const messages = [{ role: "user", content: "Hello" }];
      const chat = await post(`${serve.url}/v1/chat/completions`, { model: "gemma", messages });
      expect(((await chat.json()) as { choices: { message: object }[] }).choices[0]!.message).toEqual({
        role: "assistant",
        reasoning_content: "Ok",
        content: "Hi.",
      });

      // One slot, no waiting room: a stream held open by the engine fills it.
      const held = await post(`${serve.url}/v1/chat/completions`, {
        model: "gemma",
        messages,
        stream: true,
        hold: true,
      });
      expect(held.status).toBe(200);
      const reader = held.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toContain('"reasoning_content":"Ok"');
      expect(await (await fetch(`${serve.url}/queue/status`)).json()).toMatchObject({
        active: 1,
        waiting: 0,
      });
      const rejected = await post(`${serve.url}/v1/chat/completions`, { model: "gemma", messages });
      expect(rejected.status).toBe(429);
      expect(rejected.headers.get("retry-after")).not.toBeNull();
      expect(((await rejected.json()) as { error: { code: string } }).error.code).toBeTruthy();

      // /tokenize takes no slot (and makes the stand-in finish the held stream).
      const tokenize = await post(`${serve.url}/tokenize`, { model: "gemma", prompt: "Hello" });
      expect(await tokenize.json()).toMatchObject({ count: 3 });
      let rest = first;
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        rest += new TextDecoder().decode(chunk.value);
      }
      expect(rest).toContain('"content":"Hi."');
      expect(rest).toContain("data: [DONE]");

      const metrics = await (await fetch(`${serve.url}/metrics`)).text();
      expect(metrics).toMatch(/switchyard_serve_requests_total\{route="chat",outcome="rejected"\} 1/);
      expect(metrics).toMatch(/switchyard_serve_model_loaded 1/);
    } finally {
      await serve.close();
    }
    expect(isAlive(enginePid)).toBe(false);
  });

  it("names what to install when the engine is not on PATH", async () => {
    process.env.PATH = bin;
    try {
      await expect(
        startServe({ modelPath: ensureTinyModel(), engine: "llama-server", port: 0, logLevel: "silent" }),
      ).rejects.toThrow(/`llama-server` is not on PATH; install llama\.cpp's `llama-server`/);
    } finally {
      process.env.PATH = `${bin}${delimiter}${originalPath ?? ""}`;
    }
  });
});
