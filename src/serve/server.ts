/**
 * Starts `switchyard serve` in this process: the programmatic API the CLI, tests and the benchmark use.
 *
 * Start-up order (the READY contract): the model path is checked first (a wrong path, or a checkpoint
 * that cannot be converted, fails before anything listens); then the server listens, answering
 * `/health` with 503 `loading` and inference with 503 `model_loading`; then a SafeTensors checkpoint
 * is converted to GGUF (unless cached) and the model loads. `startServe` resolves once
 * listening; `ready` resolves once the model is loaded and requests are served, which is when the CLI
 * prints its READY line. A load failure rejects `ready` after closing the server.
 *
 * @example
 *   const serve = await startServe({ modelPath: "model.gguf", port: 0, threads: 1 });
 *   await serve.ready;
 *   // … requests to serve.url …
 *   await serve.close();
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import { buildServeApp } from "./app.js";
import { ServeContext } from "./context.js";
import type { ServeEngine } from "./engine.js";
import { startExternalServe } from "./external/start.js";
import { listenForClients } from "./listen.js";
import { LlamaEngine } from "./llama-engine.js";
import { resolveModelSource } from "./model-source.js";
import { parseServeOptions, type ServeOptions, type ServeOptionsInput } from "./options.js";
import type { RunningServe } from "./running-serve.js";

export type { RunningServe } from "./running-serve.js";

/** Loads the engine for a model file; tests pass a fake one. */
export type EngineLoader = (
  options: ServeOptions,
  modelFile: string,
  log: FastifyInstance["log"],
) => Promise<ServeEngine>;

const defaultLoader: EngineLoader = (options, modelFile, log) =>
  LlamaEngine.load({
    modelFile,
    modelType: options.modelType,
    deviceMap: options.deviceMap,
    maxConcurrent: options.maxConcurrent,
    contextSize: options.contextSize,
    threads: options.threads,
    log: (level, message) => log[level]({ source: "llama.cpp" }, message),
  });

/** How long `close()` waits for aborted generations to notice before freeing the model anyway. */
const DRAIN_MS = 5_000;

async function drain(context: ServeContext): Promise<void> {
  const deadline = Date.now() + DRAIN_MS;
  while (context.queue.snapshot().active > 0 && Date.now() < deadline) await sleep(10);
}

export async function startServe(
  input: ServeOptionsInput,
  loader: EngineLoader = defaultLoader,
): Promise<RunningServe> {
  const options = parseServeOptions(input);
  if (options.engine !== "llama.cpp") return startExternalServe(options, options.engine);
  const source = await resolveModelSource(options.modelPath, options.cacheDir);
  const modelFile = source.file;
  const modelName = options.modelName ?? source.defaultName;
  const context = new ServeContext(options, modelName);
  const app = buildServeApp(context);
  const { url, port } = await listenForClients(app, options.host, options.port);
  app.log.info(
    { url, model: modelName, modelFile },
    "listening; loading the model (/health answers 503 until it is loaded)",
  );

  let engine: ServeEngine | undefined;
  let closing: Promise<void> | undefined;
  const converting = new AbortController();
  const close = (): Promise<void> => {
    converting.abort(new Error("serve was closed while converting the checkpoint"));
    closing ??= (async () => {
      await app.close();
      await drain(context);
      await engine?.dispose();
    })();
    return closing;
  };

  const started = performance.now();
  const conversionLog = (message: string, fields: Record<string, unknown> = {}) =>
    app.log.info(fields, message);
  const ready = source
    .prepare(conversionLog, converting.signal)
    .then(() => loader(options, modelFile, app.log))
    .then(
      async (loaded) => {
        if (closing !== undefined) {
          await loaded.dispose();
          throw new Error("serve was closed while the model was loading");
        }
        engine = loaded;
        context.setEngine(loaded);
        const seconds = ((performance.now() - started) / 1000).toFixed(2);
        app.log.info({ ...loaded.info, seconds }, "model loaded; serving");
      },
      async (error: unknown) => {
        await close();
        throw error;
      },
    );
  // The caller awaits `ready`; this keeps an early rejection from counting as unhandled meanwhile.
  ready.catch(() => undefined);
  return { url, port, modelName, modelFile, app, context, ready, close };
}
