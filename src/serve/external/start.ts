/**
 * `serve --engine vllm|sglang|llama-server`: the engine runs as a supervised child and serve's API is
 * served in front of it. The same start-up contract as in-process serving: listening at once with
 * `/health` 503, `ready` once the engine answers its health route. llama-server reads GGUF, so a
 * SafeTensors checkpoint is converted for it first (cached as for in-process serving).
 * @module
 */
import { basename } from "node:path";
import { ServeContext } from "../context.js";
import { listenForClients } from "../listen.js";
import { resolveModelSource } from "../model-source.js";
import type { ServeOptions } from "../options.js";
import type { RunningServe } from "../running-serve.js";
import type { ExternalEngine } from "./engines.js";
import { buildFrontApp } from "./front.js";
import { EngineSupervisor } from "./supervisor.js";

export async function startExternalServe(
  options: ServeOptions,
  engine: ExternalEngine,
): Promise<RunningServe> {
  // vLLM and SGLang take the checkpoint (or a Hub id) as it is; llama-server needs a GGUF.
  const source =
    engine === "llama-server" ? await resolveModelSource(options.modelPath, options.cacheDir) : undefined;
  const modelFile = source?.file ?? options.modelPath;
  const modelName = options.modelName ?? source?.defaultName ?? basename(options.modelPath);
  const context = new ServeContext(options, modelName);
  let app: RunningServe["app"] | undefined;
  const supervisor = new EngineSupervisor({
    engine,
    launch: { modelPath: modelFile, modelName, cpuOnly: options.deviceMap === "cpu" },
    log: (level, message, fields) => app?.log[level](fields ?? {}, message),
  });
  app = buildFrontApp(context, {
    engine,
    get url() {
      return supervisor.url;
    },
    get state() {
      return supervisor.state;
    },
  });
  const { url, port } = await listenForClients(app, options.host, options.port);
  app.log.info(
    { url, model: modelName, engine },
    `listening; starting ${engine} (/health answers 503 until it is ready)`,
  );
  let closing: Promise<void> | undefined;
  const running = app;
  const converting = new AbortController();
  const close = (): Promise<void> => {
    converting.abort(new Error("serve was closed while converting the checkpoint"));
    closing ??= (async () => {
      await running.close();
      await supervisor.stop();
    })();
    return closing;
  };
  const ready = (async () => {
    await source?.prepare((message, fields) => running.log.info(fields ?? {}, message), converting.signal);
    await supervisor.start();
    context.metrics.modelLoaded.set(1);
  })().catch(async (error: unknown) => {
    await close();
    throw error;
  });
  ready.catch(() => undefined);
  return { url, port, modelName, modelFile, app: running, context, ready, close };
}
