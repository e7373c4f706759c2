/**
 * The engines `serve --engine` can run as a child instead of llama.cpp in-process: how each is started
 * on a model, where it says it is ready, and what to install when it is missing. vLLM and SGLang read
 * SafeTensors checkpoints natively; llama-server (llama.cpp's own server) reads GGUF.
 * @module
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export const EXTERNAL_ENGINES = ["vllm", "sglang", "llama-server"] as const;
export type ExternalEngine = (typeof EXTERNAL_ENGINES)[number];

/** How the child is started. */
export interface EngineLaunch {
  readonly modelPath: string;
  readonly modelName: string;
  readonly host: string;
  readonly port: number;
  /** `--device-map cpu`: no GPU is visible to the engine, and llama-server keeps every layer on the CPU. */
  readonly cpuOnly: boolean;
}

export interface EngineSpec {
  readonly executable: string;
  /** Arguments before the launch arguments (`python3 -m sglang.launch_server`). */
  args(launch: EngineLaunch): string[];
  /** GET here answers 200 once the model is loaded. */
  readonly healthPath: string;
  /** What to install, for the error when the executable is missing. */
  readonly install: string;
}

const ENGINE_SPECS: Readonly<Record<ExternalEngine, EngineSpec>> = {
  vllm: {
    executable: "vllm",
    args: (l) => [
      "serve",
      l.modelPath,
      "--host",
      l.host,
      "--port",
      String(l.port),
      "--served-model-name",
      l.modelName,
    ],
    healthPath: "/health",
    install: "the vllm Python package (`pip install vllm`), which puts `vllm` on PATH",
  },
  sglang: {
    executable: "python3",
    args: (l) => [
      "-m",
      "sglang.launch_server",
      "--model-path",
      l.modelPath,
      "--host",
      l.host,
      "--port",
      String(l.port),
      "--served-model-name",
      l.modelName,
    ],
    healthPath: "/health",
    install: 'the sglang Python package (`pip install "sglang[all]"`) for the `python3` on PATH',
  },
  "llama-server": {
    executable: "llama-server",
    args: (l) => [
      "--model",
      l.modelPath,
      "--host",
      l.host,
      "--port",
      String(l.port),
      "--alias",
      l.modelName,
      "--n-gpu-layers",
      l.cpuOnly ? "0" : "999",
    ],
    healthPath: "/health",
    install:
      "llama.cpp's `llama-server` (a release from https://github.com/ggml-org/llama.cpp, or `brew install llama.cpp`)",
  },
};

/** The child's environment: with `cpuOnly`, CUDA (and ROCm) see no device, so no engine can use one. */
export function engineEnvironment(launch: Pick<EngineLaunch, "cpuOnly">): NodeJS.ProcessEnv {
  if (!launch.cpuOnly) return process.env;
  return { ...process.env, CUDA_VISIBLE_DEVICES: "", HIP_VISIBLE_DEVICES: "" };
}

export function engineSpec(engine: ExternalEngine): EngineSpec {
  return ENGINE_SPECS[engine];
}

/** The executable's full path on `PATH`, or `undefined`. */
export function findExecutable(name: string, path: string = process.env.PATH ?? ""): string | undefined {
  for (const folder of path.split(delimiter)) {
    if (folder === "") continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
