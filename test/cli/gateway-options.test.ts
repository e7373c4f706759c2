import { describe, expect, it } from "vitest";
import type { GatewayRun } from "../../src/cli/gateway.js";
import { parseArgs } from "./parse-args.js";

async function gateway(args: string[], env: NodeJS.ProcessEnv = {}) {
  let run: GatewayRun | undefined;
  const result = await parseArgs(["gateway", ...args], {
    env,
    run: {
      gateway: async (input) => {
        run = input;
      },
    },
  });
  return { ...result, run };
}

describe("switchyard gateway options", () => {
  it("hands the settings to the loader as text, with the process options parsed", async () => {
    const { run } = await gateway([
      "--port",
      "0",
      "--strategy",
      "p2c",
      "--access-log",
      "--backend",
      "a=http://h:1",
    ]);
    expect(run?.sources.flags).toEqual({ port: "0", strategy: "p2c", access_log: true });
    expect(run?.sources.backendSpecs).toEqual(["a=http://h:1"]);
    expect(run?.sources.envFile).toMatchObject({ optional: true });
    expect(run).toMatchObject({ demo: false, check: false, workers: 1 });
  });

  it("reads --workers and --dotenv from the flag or the environment", async () => {
    const fromEnv = await gateway([], { SWITCHYARD_WORKERS: "3", SWITCHYARD_DOTENV: "x.env" });
    expect(fromEnv.run?.workers).toBe(3);
    expect(fromEnv.run?.sources.envFile).toMatchObject({ optional: false });
    expect((await gateway(["--workers", "2", "--check", "--demo"])).run).toMatchObject({
      workers: 2,
      check: true,
      demo: true,
    });
    expect((await gateway(["--workers", "auto"])).run?.workers).toBeGreaterThanOrEqual(1);
  });

  it("refuses a bad --workers naming the flag", async () => {
    const { error } = await gateway(["--workers", "0"]);
    expect(String(error)).toContain('--workers: expected a whole number ≥ 1 or "auto" (got "0")');
    expect(String((await gateway([], { SWITCHYARD_WORKERS: "many" })).error)).toContain(
      "SWITCHYARD_WORKERS:",
    );
  });

  it("shows each setting's env variables and default in --help", async () => {
    // Commander wraps help lines to the terminal's width.
    const output = (await gateway(["--help"])).output.replace(/\s+/g, " ");
    expect(output).toContain("(env LOAD_BALANCER_PORT, SWITCHYARD_PORT; default: 8080)");
    expect(output).toContain("(env SWITCHYARD_WORKERS; default: 1)");
  });
});
