/**
 * Two worker processes, forked with the environment a `--workers` primary gives them, share the
 * response store this process hosts over their real IPC channels. The workers run the built code
 * (test/fixtures/response-store-worker.mjs), so this file needs `npm run build` first.
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { channelPort } from "../../../src/state/ipc-port.js";
import { IpcResponseHost } from "../../../src/state/response-store/ipc-host.js";
import { RESPONSES_HOST_ENV } from "../../../src/state/response-store/ipc-messages.js";
import { MemoryResponseStore } from "../../../src/state/response-store/memory.js";
import { entry, LIMITS } from "./conformance.js";

const WORKER = fileURLToPath(new URL("../../fixtures/response-store-worker.mjs", import.meta.url));
const workers: ChildProcess[] = [];

afterAll(async () => {
  await Promise.all(
    workers.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }),
  );
});

function next(child: ChildProcess, name: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      const fields = message as Record<string, unknown> | null;
      if (fields?.fixture !== name) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(fields);
    };
    const onExit = (code: number | null) => reject(new Error(`worker exited (${code}) before ${name}`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

async function forkWorker(host: IpcResponseHost): Promise<ChildProcess> {
  const child = fork(WORKER, [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, [RESPONSES_HOST_ENV]: "ipc" },
  });
  workers.push(child);
  const ready = next(child, "ready");
  host.serve(channelPort(child));
  await ready;
  return child;
}

async function ask(child: ChildProcess, message: Record<string, unknown>) {
  const done = next(child, "done");
  child.send(message);
  return done;
}

it("lets one worker read what another stored, through the primary", async () => {
  const host = new IpcResponseHost(new MemoryResponseStore(LIMITS));
  const [a, b] = await Promise.all([forkWorker(host), forkWorker(host)]);
  const stored = entry("resp_1", 0, [{ id: "msg_1" }]);
  expect(await ask(a, { fixture: "put", entry: stored })).toEqual({
    fixture: "done",
    kind: "ipc",
    result: "stored",
  });
  expect(await ask(b, { fixture: "get", id: "resp_1" })).toEqual({
    fixture: "done",
    kind: "ipc",
    result: stored,
  });
  expect(await host.store.get("resp_1")).toEqual(stored);
  await host.close();
});
