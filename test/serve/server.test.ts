/** `startServe`'s start-up contract, with a loader standing in for the model. */
import { afterEach, describe, expect, it } from "vitest";
import { startServe } from "../../src/serve/server.js";
import { ensureTinyModel } from "../fixtures/tiny-gguf.js";
import { FakeEngine } from "./fake-engine.js";

const base = { modelPath: ensureTinyModel(), port: 0, logLevel: "silent" as const };
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe("startServe", () => {
  it("listens before the model is loaded and serves once `ready` resolves", async () => {
    let finish: (engine: FakeEngine) => void = () => undefined;
    const loading = new Promise<FakeEngine>((resolve) => {
      finish = resolve;
    });
    const serve = await startServe({ ...base, modelName: "m" }, () => loading);
    closers.push(serve.close);
    expect((await fetch(`${serve.url}/health`)).status).toBe(503);
    finish(new FakeEngine());
    await serve.ready;
    expect(await (await fetch(`${serve.url}/health`)).json()).toMatchObject({ status: "ok", model: "m" });
  });

  it("names the model after its file when --model-name is not given", async () => {
    const serve = await startServe(base, async () => new FakeEngine());
    closers.push(serve.close);
    expect(serve.modelName).toBe("switchyard-tiny");
  });

  it("closes and rejects `ready` when loading fails", async () => {
    const serve = await startServe(base, async () => {
      throw new Error("out of memory");
    });
    await expect(serve.ready).rejects.toThrow("out of memory");
    await expect(fetch(`${serve.url}/health`)).rejects.toThrow();
  });

  it("frees a model that finished loading after close", async () => {
    let finish: (engine: FakeEngine) => void = () => undefined;
    const engine = new FakeEngine();
    let disposed = false;
    engine.dispose = async () => {
      disposed = true;
    };
    const serve = await startServe(base, () => new Promise((resolve) => (finish = resolve)));
    await serve.close();
    finish(engine);
    await expect(serve.ready).rejects.toThrow(/closed while the model was loading/);
    expect(disposed).toBe(true);
  });

  it("refuses bad options in one line", async () => {
    await expect(startServe({ ...base, maxConcurrent: 0 })).rejects.toThrow(
      /invalid serve options: maxConcurrent/,
    );
  });
});
