/**
 * Runs the real, unmodified agent clients (Claude Code, Codex CLI, and SDK scripts) that the
 * test-only package in test/agent-clients/ installs. Every run is offline and hermetic: a fresh HOME
 * (and CODEX_HOME), an empty working folder, an environment built from nothing (so no real key or
 * user setting leaks in), telemetry and update checks off, a proxy that goes nowhere for anything not
 * on 127.0.0.1, a hard timeout, and the whole process group killed at the end.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const AGENT_CLIENTS_DIR = fileURLToPath(new URL("../agent-clients/", import.meta.url));
export const INSTALL_HINT = "npm run test:agents:install";

/** The installed clients' entry points. */
export interface AgentClients {
  claude: string;
  /** Codex's Node launcher: it picks the platform binary and puts its helper programs on PATH. */
  codexLauncher: string;
}

function modulePath(relative: string, dir = AGENT_CLIENTS_DIR): string {
  return join(dir, "node_modules", relative);
}

/**
 * Claude Code's npm package copies its platform binary over a placeholder in a postinstall script,
 * which an install that skips scripts never runs; the platform package's binary is there either way.
 */
function claudeBinary(dir: string): string | undefined {
  const platform = `${process.platform}-${process.arch}`;
  const candidates = [
    modulePath(`@anthropic-ai/claude-code-${platform}/claude`, dir),
    modulePath(`@anthropic-ai/claude-code-${platform}-musl/claude`, dir),
    modulePath("@anthropic-ai/claude-code/bin/claude.exe", dir),
  ];
  // The placeholder is a few bytes; the real binary hundreds of megabytes.
  return candidates.find((path) => existsSync(path) && statSync(path).size > 1_000_000);
}

/**
 * Where the clients are. When they are missing, tests skip with how to install them, except under CI,
 * where this throws: a suite that silently skips its agent tests there proves nothing.
 */
export function locateAgentClients(
  dir = AGENT_CLIENTS_DIR,
  env: NodeJS.ProcessEnv = process.env,
): AgentClients | undefined {
  const claude = claudeBinary(dir);
  const codexLauncher = modulePath("@openai/codex/bin/codex.js", dir);
  const sdks = ["@openai/agents", "ai", "@ai-sdk/openai", "openai"].every((name) =>
    existsSync(modulePath(`${name}/package.json`, dir)),
  );
  if (claude && existsSync(codexLauncher) && sdks) return { claude, codexLauncher };
  const message = `the agent clients are not installed in test/agent-clients: run \`${INSTALL_HINT}\``;
  if (env.CI) throw new Error(message);
  console.warn(`skipping the agent-client tests: ${message}`);
  return undefined;
}

export interface ClientRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** A client's own files: its HOME and an empty working folder, removed with `remove()`. */
export interface Sandbox {
  home: string;
  work: string;
  remove(): void;
}

export function makeSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), "switchyard-agent-"));
  const home = join(root, "home");
  const work = join(root, "work");
  mkdirSync(home);
  mkdirSync(work);
  return { home, work, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * The whole environment a client gets: nothing inherited but PATH (Node and the shell tools), so no
 * real API key, proxy or user setting of the machine running the tests reaches it.
 */
export function baseEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    TMPDIR: tmpdir(),
    LANG: "C.UTF-8",
    TERM: "dumb",
    NO_COLOR: "1",
    // Anything a client tries to reach besides the gateway fails at once instead of going out.
    HTTP_PROXY: "http://127.0.0.1:9",
    HTTPS_PROXY: "http://127.0.0.1:9",
    http_proxy: "http://127.0.0.1:9",
    https_proxy: "http://127.0.0.1:9",
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
  };
}

/** At most this much of a client's output is kept (the tail is what explains a failure). */
const OUTPUT_LIMIT = 1 << 20;

function keepTail(kept: string, chunk: Buffer): string {
  const text = kept + chunk.toString("utf8");
  return text.length > OUTPUT_LIMIT ? text.slice(text.length - OUTPUT_LIMIT) : text;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // The group is already gone.
  }
}

export interface SpawnOptions {
  env: Record<string, string>;
  cwd: string;
  timeoutMs?: number;
}

/**
 * Runs a command in its own process group and waits for it to exit; on timeout the group is killed.
 * The group is killed after a normal exit too, so nothing the client started outlives the run.
 */
export function runClient(command: string, args: string[], options: SpawnOptions): Promise<ClientRun> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let timedOut = false;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout = keepTail(stdout, chunk);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = keepTail(stderr, chunk);
  });
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, options.timeoutMs ?? 45_000);
  return new Promise((resolve, reject) => {
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      killGroup(child.pid);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
  });
}

/** A readable account of a run for assertion messages. */
export function describeRun(run: ClientRun): string {
  const status = run.timedOut ? "timed out" : `exit ${run.code ?? run.signal}`;
  return `${status}\n--- stdout\n${run.stdout.slice(-4000)}\n--- stderr\n${run.stderr.slice(-4000)}`;
}

export interface ClaudeOptions {
  /** The gateway's root URL (Claude Code appends /v1/messages itself). */
  baseUrl: string;
  model: string;
  prompt: string;
  /** More command-line flags, e.g. `--tools Glob --allowed-tools Glob`. */
  args?: string[];
  timeoutMs?: number;
}

/** `claude -p … --output-format json` against the gateway, every model role set to `model`. */
export async function runClaude(clients: AgentClients, options: ClaudeOptions): Promise<ClientRun> {
  const sandbox = makeSandbox();
  try {
    const env = {
      ...baseEnv(sandbox.home),
      ANTHROPIC_BASE_URL: options.baseUrl,
      ANTHROPIC_API_KEY: "sk-ant-agent-test",
      ANTHROPIC_MODEL: options.model,
      ANTHROPIC_SMALL_FAST_MODEL: options.model,
      ANTHROPIC_DEFAULT_HAIKU_MODEL: options.model,
      ANTHROPIC_DEFAULT_SONNET_MODEL: options.model,
      ANTHROPIC_DEFAULT_OPUS_MODEL: options.model,
      DISABLE_TELEMETRY: "1",
      DISABLE_ERROR_REPORTING: "1",
      DISABLE_AUTOUPDATER: "1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    };
    const args = [
      "-p",
      options.prompt,
      "--output-format",
      "json",
      "--model",
      options.model,
      "--no-session-persistence",
      "--strict-mcp-config",
      ...(options.args ?? []),
    ];
    return await runClient(clients.claude, args, { env, cwd: sandbox.work, timeoutMs: options.timeoutMs });
  } finally {
    sandbox.remove();
  }
}

/** What `claude -p --output-format json` prints: one result object. */
export interface ClaudeResult {
  type: "result";
  subtype: string;
  is_error: boolean;
  result: string;
  num_turns: number;
}

export function parseClaudeResult(run: ClientRun): ClaudeResult {
  const line = run.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as ClaudeResult;
  } catch {
    throw new Error(`Claude Code printed no JSON result: ${describeRun(run)}`);
  }
}

export interface CodexOptions {
  /** The gateway's OpenAI base URL, ending in /v1. */
  baseUrl: string;
  model: string;
  prompt: string;
  timeoutMs?: number;
}

/** A Codex config.toml naming the gateway as its only provider, with no retries to wait through. */
export function codexConfig(baseUrl: string, model: string): string {
  return [
    `model = ${JSON.stringify(model)}`,
    'model_provider = "gw"',
    'approval_policy = "never"',
    'sandbox_mode = "read-only"',
    "check_for_update_on_startup = false",
    "",
    "[analytics]",
    "enabled = false",
    "",
    "[model_providers.gw]",
    'name = "Switchyard"',
    `base_url = ${JSON.stringify(baseUrl)}`,
    'env_key = "SWITCHYARD_API_KEY"',
    'wire_api = "responses"',
    "request_max_retries = 0",
    "stream_max_retries = 0",
    "",
  ].join("\n");
}

/** `codex exec` against the gateway; the last agent message is written to `last-message.txt`. */
export async function runCodex(
  clients: AgentClients,
  options: CodexOptions,
): Promise<ClientRun & { lastMessage: string | undefined }> {
  const sandbox = makeSandbox();
  try {
    const codexHome = join(sandbox.home, ".codex");
    mkdirSync(codexHome);
    writeFileSync(join(codexHome, "config.toml"), codexConfig(options.baseUrl, options.model));
    const lastMessageFile = join(sandbox.home, "last-message.txt");
    const env = { ...baseEnv(sandbox.home), CODEX_HOME: codexHome, SWITCHYARD_API_KEY: "sk-codex-test" };
    const args = [
      clients.codexLauncher,
      "exec",
      "--skip-git-repo-check",
      "--ephemeral",
      "--sandbox",
      "read-only",
      "--color",
      "never",
      "--output-last-message",
      lastMessageFile,
      options.prompt,
    ];
    const run = await runClient(process.execPath, args, {
      env,
      cwd: sandbox.work,
      timeoutMs: options.timeoutMs,
    });
    const lastMessage = existsSync(lastMessageFile) ? readFileSync(lastMessageFile, "utf8") : undefined;
    return { ...run, lastMessage };
  } finally {
    sandbox.remove();
  }
}

export interface ScriptOptions {
  /** The gateway's OpenAI base URL, ending in /v1. */
  baseUrl: string;
  model: string;
  /** More variables for the script (e.g. the prompt or the API mode to use). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Runs one of test/agent-clients/*.mjs with Node (`clients` proves the package is installed), from that folder so the script resolves the
 * package's own node_modules. The script reads OPENAI_BASE_URL and MODEL and prints one JSON object
 * on stdout, which is returned parsed.
 */
export async function runClientScript<T>(
  _clients: AgentClients,
  script: string,
  options: ScriptOptions,
): Promise<T> {
  const sandbox = makeSandbox();
  try {
    const env = {
      ...baseEnv(sandbox.home),
      OPENAI_BASE_URL: options.baseUrl,
      OPENAI_API_KEY: "sk-sdk-test",
      MODEL: options.model,
      OPENAI_AGENTS_DISABLE_TRACING: "1",
      ...options.env,
    };
    const run = await runClient(process.execPath, [join(AGENT_CLIENTS_DIR, script)], {
      env,
      cwd: AGENT_CLIENTS_DIR,
      timeoutMs: options.timeoutMs,
    });
    const line = run.stdout.trim().split("\n").at(-1) ?? "";
    if (run.code !== 0) throw new Error(`${script} failed: ${describeRun(run)}`);
    try {
      return JSON.parse(line) as T;
    } catch {
      throw new Error(`${script} printed no JSON result: ${describeRun(run)}`);
    }
  } finally {
    sandbox.remove();
  }
}
