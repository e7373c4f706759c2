/**
 * `switchyard gateway --check`: validates the configuration the gateway would load (config file,
 * .env, environment, flags) and prints what it would run with, exiting 0, or 1 with the error.
 * Key values never appear in what it prints.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI_PATH } from "../helpers/cli-process.js";

const dir = mkdtempSync(join(tmpdir(), "switchyard-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEYS = ["sk-check-one-51ab", "sk-check-two-7e02"];
const CLIENT_KEY = "client-secret-9d3f0a";

/** Unset, so only the test's files and flags configure the gateway. */
const CLEAN_ENV: NodeJS.ProcessEnv = { ...process.env };
for (const name of [
  "OPENAI_API_KEYS",
  "OPENAI_API_KEY",
  "ANTHROPIC_API_KEYS",
  "ANTHROPIC_API_KEY",
  "SERVICE_ENDPOINTS",
  "SWITCHYARD_CONFIG",
  "SWITCHYARD_BACKENDS",
  "SWITCHYARD_DOTENV",
])
  delete CLEAN_ENV[name];

function check(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_PATH, "gateway", "--check", ...args],
      { cwd, env: CLEAN_ENV, timeout: 20_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

function folder(name: string, files: Record<string, string>): string {
  const made = mkdtempSync(join(dir, `${name}-`));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(made, file), text);
  return made;
}

describe("gateway --check", () => {
  it("describes a valid configuration from a config file, a .env and flags, and exits 0", async () => {
    const cwd = folder("valid", {
      "switchyard.json": JSON.stringify({
        backends: [{ name: "gemma", url: "http://127.0.0.1:8002", models: ["gemma-3-4b-it", "gemma3"] }],
      }),
      ".env": [
        `OPENAI_API_KEYS="${KEYS.join(",")}"`,
        "SERVICE_ENDPOINTS={",
        '  "openai": ["http://127.0.0.1:9101/v1", "http://127.0.0.1:9102/v1"]',
        "}",
        "SWITCHYARD_CONFIG=switchyard.json",
        `SWITCHYARD_CLIENT_KEYS=[{"name": "team", "key": "${CLIENT_KEY}"}]`,
        "",
      ].join("\n"),
    });
    const { code, output } = await check(["--port", "9000", "--strategy", "round_robin"], cwd);
    expect(code, output).toBe(0);
    expect(output).toContain("configuration is valid");
    expect(output).toMatch(/listen\s+127\.0\.0\.1:9000/);
    expect(output).toMatch(/strategy\s+round_robin/);
    expect(output).toMatch(/gemma\s+http:\/\/127\.0\.0\.1:8002\s+openai, models gemma-3-4b-it, gemma3/);
    expect(output).toContain("http://127.0.0.1:9101/v1");
    expect(output).toContain("http://127.0.0.1:9102/v1");
    expect(output).toMatch(/openai: 2 keys over 2 endpoints/);
    expect(output).toMatch(/client keys\s+1/);
    expect(output).toContain("in memory (no redis)");
    expect(output).toContain(join(cwd, ".env"));
    for (const secret of [...KEYS, CLIENT_KEY]) expect(output).not.toContain(secret);
  });

  it("says a bare gateway would start with no backends, and still exits 0", async () => {
    const { code, output } = await check([], folder("bare", {}));
    expect(code, output).toBe(0);
    expect(output).toMatch(/backends\s+0/);
    expect(output).toContain("POST /backends/register");
  });

  it("exits 1 with the error for endpoints without keys, naming the variables", async () => {
    const cwd = folder("no-keys", {
      ".env": `ANTHROPIC_API_KEYS="${KEYS[0]}"\nSERVICE_ENDPOINTS={"openai": ["http://127.0.0.1:9101/v1"]}\n`,
    });
    const { code, output } = await check([], cwd);
    expect(code).toBe(1);
    expect(output).toContain("No OpenAI API keys configured: set OPENAI_API_KEYS or OPENAI_API_KEY");
    expect(output).not.toContain("configuration is valid");
    expect(output).not.toContain(KEYS[0]);
  });

  it("exits 1 for a bad flag value and for a .env line it cannot read", async () => {
    const badStrategy = await check(["--strategy", "fastest"], folder("bad-strategy", {}));
    expect(badStrategy.code).toBe(1);
    expect(badStrategy.output).toContain('unknown strategy "fastest"');
    const badLine = await check(
      [],
      folder("bad-env", { ".env": `OPENAI_API_KEYS=${KEYS[1]}\nthis is not a setting\n` }),
    );
    expect(badLine.code).toBe(1);
    expect(badLine.output).toMatch(/env file .*\.env: line 2: expected KEY=value/);
    expect(badLine.output).not.toContain(KEYS[1]);
  });

  it("exits 1 when a named --dotenv does not exist", async () => {
    const { code, output } = await check(["--dotenv", "missing.env"], folder("missing", {}));
    expect(code).toBe(1);
    expect(output).toContain("cannot read env file");
  });
});
