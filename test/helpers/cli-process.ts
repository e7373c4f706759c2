/**
 * Starts the built `switchyard` CLI as a real child process and waits for its READY line(s).
 * Every process started here is killed by `stopAll()` (call it in afterAll/afterEach), so a failing
 * test never leaves an orphan behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { parseReadyLine, type ReadyLine } from "../../src/process/ready-line.js";

export const CLI_PATH = fileURLToPath(new URL("../../dist/src/cli/index.js", import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  ready: ReadyLine[];
  /** Everything the process printed so far (stdout and stderr), for assertions and failure messages. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<CliProcess>();

export interface StartOptions {
  /** How many READY lines to wait for (a cluster prints one per backend plus the gateway). */
  readyCount?: number;
  env?: NodeJS.ProcessEnv;
  /** Working directory of the process (where a gateway looks for its .env); default: this one. */
  cwd?: string;
  timeoutMs?: number;
}

export async function startCli(args: string[], options: StartOptions = {}): Promise<CliProcess> {
  const readyCount = options.readyCount ?? 1;
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const ready: ReadyLine[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const handle: CliProcess = {
    child,
    ready,
    output: () => output,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      running.delete(handle);
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  running.add(handle);

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no READY line after ${options.timeoutMs ?? 15_000} ms:\n${output}`)),
      options.timeoutMs ?? 15_000,
    );
    let pending = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output += text;
      pending += text;
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const line = parseReadyLine(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        if (line) ready.push(line);
        newline = pending.indexOf("\n");
      }
      if (ready.length >= readyCount) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited with ${code} before it was ready:\n${output}`));
    });
  });
  return handle;
}

export async function stopAll(): Promise<void> {
  if (running.size > 0) dropKeptAliveConnections();
  await Promise.all([...running].map((handle) => handle.stop()));
}

/**
 * A stopping gateway grants each idle kept-alive connection a second's grace before it closes it
 * (IDLE_CONNECTION_GRACE_MS in src/gateway/app.ts), so this process's fetch, which keeps its
 * connections, made every teardown wait a second. Once the tests are done, their connections can
 * go: later requests get a fresh dispatcher, and requests still running finish on the old one.
 */
function dropKeptAliveConnections(): void {
  const previous = getGlobalDispatcher();
  setGlobalDispatcher(new Agent());
  void previous.close().catch(() => {});
}
