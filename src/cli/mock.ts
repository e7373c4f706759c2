/**
 * `switchyard mock`: a deterministic OpenAI- and Anthropic-compatible backend with fault injection.
 * Its options are declared in mock/options.ts (MOCK_OPTIONS); the server itself is imported only
 * when the command runs.
 * @module
 */
import type { Command } from "commander";
import { MOCK_OPTIONS, type MockOptions } from "../mock/options.js";
import { addOptions, readOptions } from "../options/commander.js";
import { formatReadyLine } from "../process/ready-line.js";

async function runMock(options: MockOptions): Promise<void> {
  const abort = new AbortController();
  let running: { close(): Promise<void> } | undefined;
  const stop = () => {
    abort.abort();
    void running?.close();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const { startMock } = await import("../mock/server.js");
  try {
    const mock = await startMock(options, { signal: abort.signal });
    running = mock;
    if (abort.signal.aborted) {
      await mock.close();
      return;
    }
    process.stdout.write(`${formatReadyLine("backend", mock.id, mock.url)}\n`);
  } catch (error) {
    // A signal during --refuse-for is a clean stop, not a failure.
    if (abort.signal.aborted) return;
    throw error;
  }
}

export function registerMockCommand(
  program: Command,
  run: (options: MockOptions) => Promise<void> = runMock,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const command = program
    .command("mock")
    .description("Run a deterministic OpenAI- and Anthropic-compatible mock backend with fault injection");
  addOptions(command, MOCK_OPTIONS).action(async (_flags: unknown, self: Command) => {
    await run(readOptions(self, MOCK_OPTIONS, env));
  });
}
