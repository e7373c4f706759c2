/**
 * Starts the backends a config file says how to start: a router file's `start_command` (run by the shell,
 * in its own process group so its whole tree stops with it) or a `serve` entry (a `switchyard serve`
 * child on the backend URL's port). Each is awaited until its health path answers 2xx (or, for
 * serve, until its READY line), so the gateway only starts once every backend can take traffic.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { BackendConfig } from "../config/schema.js";
import { type ChildServer, spawnServer } from "../process/spawn-server.js";

export interface StartedBackend {
  name: string;
  stop(): Promise<void>;
  child: ChildProcess;
}

export async function startConfiguredBackends(
  backends: readonly BackendConfig[],
  options: { echo: boolean; readyTimeoutMs: number },
): Promise<StartedBackend[]> {
  const started: StartedBackend[] = [];
  try {
    for (const backend of backends) {
      const name = backend.name ?? new URL(backend.url).host;
      if (backend.serve) {
        const server = await startServe(name, backend, options);
        started.push({ name, child: server.child, stop: () => server.stop() });
      } else if (backend.start_command) {
        const child = spawn("sh", ["-c", backend.start_command], {
          stdio: ["ignore", options.echo ? "inherit" : "ignore", options.echo ? "inherit" : "ignore"],
          detached: true,
        });
        const entry = { name, child, stop: () => stopGroup(child) };
        started.push(entry);
        await waitHealthy(backend, child, options.readyTimeoutMs);
      }
    }
  } catch (error) {
    await Promise.all(started.map((entry) => entry.stop()));
    throw error;
  }
  return started;
}

/** The `switchyard serve` arguments of a backend's `serve` entry (snake-case keys → flags). */
export function serveArgs(name: string, backend: BackendConfig): string[] {
  const serve = backend.serve!;
  const url = new URL(backend.url);
  const args = ["serve", "--model-path", serve.model_path, "--model-name", backend.models[0] ?? name];
  args.push("--host", url.hostname.replace(/^\[|\]$/g, ""), "--port", url.port || "80");
  if (serve.model_type ?? backend.model_type)
    args.push("--model-type", serve.model_type ?? backend.model_type);
  if (serve.threads) args.push("--threads", String(serve.threads));
  if (serve.max_concurrent) args.push("--max-concurrent", String(serve.max_concurrent));
  if (serve.max_queue !== undefined) args.push("--max-queue", String(serve.max_queue));
  if (serve.context_size) args.push("--context-size", String(serve.context_size));
  if (serve.device_map) args.push("--device-map", serve.device_map);
  if (serve.engine) args.push("--engine", serve.engine);
  if (serve.cache_dir) args.push("--cache-dir", serve.cache_dir);
  return args;
}

function startServe(
  name: string,
  backend: BackendConfig,
  options: { echo: boolean; readyTimeoutMs: number },
): Promise<ChildServer> {
  const args = serveArgs(name, backend);
  return spawnServer(args, { echo: options.echo, label: name, timeoutMs: options.readyTimeoutMs });
}

async function waitHealthy(backend: BackendConfig, child: ChildProcess, timeoutMs: number): Promise<void> {
  const target = `${backend.url.replace(/\/+$/, "").replace(/\/v1$/, "")}${backend.health_path || "/health"}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`start_command of ${backend.url} exited with ${child.exitCode}`);
    try {
      const response = await fetch(target, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${target} did not answer 2xx within ${Math.round(timeoutMs / 1000)} s`);
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
  const killer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  }, 5_000);
  await exited;
  clearTimeout(killer);
}
