/** The capacity queue's slot waiters and watchers: who a release wakes. */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { backendSchema } from "../../src/config/schema.js";
import { BackendState } from "../../src/routing/backend.js";
import { type AbortSource, CapacityQueue, type WaitOutcome } from "../../src/routing/capacity-queue.js";

class Signal extends EventEmitter implements AbortSource {
  aborted = false;
}

const backend = new BackendState("a", backendSchema.parse({ url: "http://127.0.0.1:1", models: ["m"] }));
const serves = (candidate: BackendState) => candidate === backend;
const LONG_MS = 60_000;

describe("CapacityQueue", () => {
  it("wakes one slot waiter per release, and every watcher", async () => {
    const queue = new CapacityQueue(10);
    const outcomes: string[] = [];
    const track = (name: string, wait: Promise<WaitOutcome>) =>
      wait.then((outcome) => outcomes.push(`${name}:${outcome}`));
    const watcher = track("watcher", queue.watch(serves, LONG_MS, new Signal()));
    const first = track("first", queue.wait(serves, LONG_MS, new Signal()));
    const secondSignal = new Signal();
    const second = track("second", queue.wait(serves, LONG_MS, secondSignal));
    expect(queue.length).toBe(3);
    queue.released(backend);
    await Promise.all([watcher, first]);
    expect(outcomes.sort()).toEqual(["first:woken", "watcher:woken"]);
    expect(queue.length).toBe(1);
    secondSignal.emit("abort");
    await second;
    expect(outcomes).toContain("second:aborted");
  });

  it("counts watchers against its length", async () => {
    const queue = new CapacityQueue(1);
    const signal = new Signal();
    const watching = queue.watch(serves, LONG_MS, signal);
    expect(await queue.wait(serves, LONG_MS, new Signal())).toBe("full");
    signal.emit("abort");
    expect(await watching).toBe("aborted");
  });
});
