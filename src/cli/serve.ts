/**
 * `switchyard serve`: a local model server running a GGUF model in-process (node-llama-cpp) behind an
 * OpenAI-compatible API, with the flags of the Python model server it replaces. Its options are
 * declared in serve/options.ts (SERVE_OPTIONS). The server — and node-llama-cpp with it — is imported
 * only when the command runs.
 *
 * READY comes after the model is loaded: the server listens first (`/health` answers 503 `loading`),
 * and the READY line on stdout means requests are served.
 * @module
 */
import type { Command } from "commander";
import { addOptions, readOptions } from "../options/commander.js";
import { formatReadyLine } from "../process/ready-line.js";
import { SERVE_OPTIONS, type ServeOptions } from "../serve/options.js";

/** How long a graceful stop may take before the process ends anyway. */
const STOP_DEADLINE_MS = 10_000;

/**
 * The process should end by itself once closed; if a close hangs or a native handle keeps it alive,
 * end it at the deadline (the timer is unref'd, so it never delays a clean exit).
 */
function exitByDeadline(): void {
  setTimeout(() => process.exit(1), STOP_DEADLINE_MS).unref();
}

async function runServe(options: ServeOptions): Promise<void> {
  let stopping = false;
  let running: { close(): Promise<void> } | undefined;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal means "now": skip the graceful close.
    if (stopping) process.exit(signal === "SIGINT" ? 130 : 143);
    stopping = true;
    exitByDeadline();
    void running?.close();
  };
  // `on`, not `once`: a dependency of node-llama-cpp loads signal-exit, which re-raises the signal (and
  // kills the process mid-close) when it finds no other listener left.
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const { startServe } = await import("../serve/server.js");
  const serve = await startServe(options);
  running = serve;
  if (stopping) {
    await serve.close();
    return;
  }
  try {
    await serve.ready;
  } catch (error) {
    // A signal while the model loads is a clean stop, not a failure.
    if (stopping) return;
    throw error;
  }
  process.stdout.write(`${formatReadyLine("backend", serve.modelName, serve.url)}\n`);
}

export function registerServeCommand(
  program: Command,
  run: (options: ServeOptions) => Promise<void> = runServe,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const command = program
    .command("serve")
    .description("Serve a local GGUF model (llama.cpp, in-process) behind an OpenAI-compatible API");
  addOptions(command, SERVE_OPTIONS).action(async (_flags: unknown, self: Command) => {
    await run(readOptions(self, SERVE_OPTIONS, env));
  });
}
