/** `serve --engine`'s supervisor on a stand-in `vllm` on PATH (test/fixtures/stand-in-engine.ts). */
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  EngineMissingError,
  EngineSupervisor,
  type SupervisorLog,
} from "../../src/serve/external/supervisor.js";
import { installStandInEngine } from "../fixtures/stand-in-engine.js";

const ROOT = fileURLToPath(new URL("../.tmp/engine-supervisor/", import.meta.url));
let BIN = "";

const supervisors: EngineSupervisor[] = [];
const lines: string[] = [];
const log: SupervisorLog = (_level, message) => lines.push(message);

beforeAll(() => {
  rmSync(ROOT, { recursive: true, force: true });
  BIN = installStandInEngine(ROOT);
});
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stop()));
});
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

function supervisor(): EngineSupervisor {
  const created = new EngineSupervisor({
    engine: "vllm",
    launch: { modelPath: "/models/gemma-3-4b-it", modelName: "gemma", cpuOnly: false },
    log,
    path: `${BIN}${delimiter}${process.env.PATH ?? ""}`,
    healthIntervalMs: 20,
    restartDelaysMs: [10],
    stopGraceMs: 2_000,
  });
  supervisors.push(created);
  return created;
}

async function models(url: string): Promise<{ id: string; pid: number }> {
  const body = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string; pid: number }[] };
  return body.data[0]!;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let tries = 0; tries < 500; tries++) {
    if (condition()) return;
    await sleep(20);
  }
  throw new Error(`never: ${what}`);
}

describe("EngineSupervisor", () => {
  it("names the package to install when the engine is missing", () => {
    expect(
      () =>
        new EngineSupervisor({
          engine: "vllm",
          launch: { modelPath: "m", modelName: "m", cpuOnly: false },
          log,
          path: join(ROOT, "empty"),
        }),
    ).toThrow(EngineMissingError);
    expect(
      () =>
        new EngineSupervisor({
          engine: "sglang",
          launch: { modelPath: "m", modelName: "m", cpuOnly: false },
          log,
          path: join(ROOT, "empty"),
        }),
    ).toThrow(/pip install "sglang\[all\]"/);
  });

  it("starts the engine with vLLM's CLI, ready once /health is 200, its output in our log", async () => {
    const engine = supervisor();
    await engine.start();
    expect(engine.state).toBe("ready");
    expect(await models(engine.url)).toMatchObject({ id: "gemma" });
    expect(lines).toContain("INFO stand-in vllm loading /models/gemma-3-4b-it");
    expect(lines).toContain("INFO stand-in listening");
  });

  it("restarts the engine after a crash, and stops it (and keeps it stopped)", async () => {
    const engine = supervisor();
    await engine.start();
    const first = (await models(engine.url)).pid;
    await fetch(`${engine.url}/crash`);
    await until(() => engine.restarts === 1 && engine.state === "ready", "restarted");
    expect(isAlive(first)).toBe(false);
    const second = (await models(engine.url)).pid;
    expect(second).not.toBe(first);
    await engine.stop();
    expect(engine.state).toBe("stopped");
    expect(isAlive(second)).toBe(false);
    expect(engine.restarts).toBe(1);
  });

  it("stops the engine when serve is killed outright (SIGKILL)", async () => {
    const script = join(ROOT, "parent.ts");
    const supervisorModule = fileURLToPath(
      new URL("../../src/serve/external/supervisor.ts", import.meta.url),
    );
    writeFileSync(
      script,
      `import { EngineSupervisor } from ${JSON.stringify(supervisorModule)};
const engine = new EngineSupervisor({
  engine: "vllm",
  launch: { modelPath: "/models/m", modelName: "m", cpuOnly: false },
  log: () => undefined,
  healthIntervalMs: 20,
});
await engine.start();
const body = await (await fetch(engine.url + "/v1/models")).json();
console.log("ENGINE " + body.data[0].pid);
setInterval(() => undefined, 60_000);
`,
    );
    const parent = spawn(process.execPath, ["--import", "tsx", script], {
      env: { ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ""}` },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const enginePid = await new Promise<number>((resolve, reject) => {
      let output = "";
      parent.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const match = /ENGINE (\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      parent.once("exit", () => reject(new Error(`parent exited first: ${output}`)));
    });
    expect(isAlive(enginePid)).toBe(true);
    const exited = new Promise((resolve) => parent.once("exit", resolve));
    parent.kill("SIGKILL");
    await exited;
    await until(() => !isAlive(enginePid), "the engine stopped after its parent was killed");
  });
});
