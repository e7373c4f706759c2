/**
 * The IPC store with its host in a forked process, over a real `process.send` channel: the
 * conformance suite, and a dead worker's leases released at once. Forked peers run the built
 * code (test/fixtures/ipc-state-peer.mjs), so this file needs `npm run build` first; ipc.test.ts
 * covers the same store in one process without a build.
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { IpcStateHost } from "../../src/state/ipc-host.js";
import { channelPort } from "../../src/state/ipc-port.js";
import { eventually } from "../helpers/http.js";
import { manualClock, runStateStoreConformance } from "./conformance.js";
import { connectIpcWorker } from "./ipc-worker-fixture.js";

const PEER = fileURLToPath(new URL("../fixtures/ipc-state-peer.mjs", import.meta.url));
const peers = new Set<ChildProcess>();

afterAll(async () => {
  await Promise.all([...peers].map((peer) => stopPeer(peer)));
});

/** The next `{fixture: name}` message from `child`; rejects if it exits first. */
function fixtureMessage(child: ChildProcess, name: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      const fields = message as Record<string, unknown> | null;
      if (fields?.fixture !== name) return;
      child.off("exit", onExit);
      child.off("message", onMessage);
      resolve(fields);
    };
    const onExit = (code: number | null) => {
      child.off("message", onMessage);
      reject(new Error(`ipc peer exited (${code}) before sending ${name}`));
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

/**
 * Forks a peer; `beforeReady` runs at once, before the peer can send anything. A host given
 * `clockAt` runs its store on a clock that stands there until moved (see the peer).
 */
async function forkPeer(
  role: "host" | "client",
  beforeReady?: (child: ChildProcess) => void,
  clockAt?: number,
) {
  const args = clockAt === undefined ? [role] : [role, String(clockAt)];
  const child = fork(PEER, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  peers.add(child);
  beforeReady?.(child);
  await fixtureMessage(child, "ready");
  return child;
}

async function stopPeer(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  peers.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(signal);
  await exited;
}

runStateStoreConformance("ipc (host in a forked process)", async () => {
  // The primary's store and the worker's local view (which recomputes what it mirrors) share
  // one time: the host's copy of the clock is moved before `advance` resolves.
  const local = manualClock();
  const host = await forkPeer("host", undefined, local.now());
  const clock = {
    now: local.now,
    async advance(ms: number) {
      await local.advance(ms);
      const moved = fixtureMessage(host, "clock");
      host.send({ fixture: "clock", now: local.now() });
      await moved;
    },
  };
  const errors: unknown[] = [];
  return connectIpcWorker(channelPort(host), clock, errors, () => stopPeer(host));
});

describe("IpcStateHost with a worker in a forked process", () => {
  const closers: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  function newHost(): IpcStateHost {
    const host = new IpcStateHost();
    closers.push(() => host.close());
    return host;
  }

  it("releases a worker's leases as soon as its process dies, long before their TTL", async () => {
    const host = newHost();
    const client = await forkPeer("client", (child) => host.serve(channelPort(child)));
    const acquired = fixtureMessage(client, "acquired");
    client.send({ fixture: "acquire", backendId: "capped", max: 3, count: 5, ttlMs: 600_000 });
    expect((await acquired).granted).toBe(3);
    expect(await host.store.inflight("capped")).toBe(3);

    await stopPeer(client, "SIGKILL");
    await eventually(async () => (await host.store.inflight("capped")) === 0, 5_000);
    expect(await host.store.acquire("capped", 3, 1_000)).toBeDefined();
  });
});
