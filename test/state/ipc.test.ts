/**
 * The IPC store with its host in this process, over a channel that behaves like IPC (messages
 * cross as JSON, in order, on a later turn): the conformance suite, then what only this store
 * promises — every change reaches every worker, and a silent or vanished primary is answered for
 * from the local view. ipc-process.test.ts runs the same store across a real process boundary.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { StateEvent } from "../../src/state/events.js";
import { IpcStore, type IpcStoreOptions } from "../../src/state/ipc-client.js";
import { IpcStateHost } from "../../src/state/ipc-host.js";
import type { IpcPort } from "../../src/state/ipc-port.js";
import { MemoryStore } from "../../src/state/memory.js";
import type { Lease, StoreStatus } from "../../src/state/store.js";
import { eventually } from "../helpers/http.js";
import { manualClock, runStateStoreConformance } from "./conformance.js";
import { connectIpcWorker } from "./ipc-worker-fixture.js";

/**
 * A channel inside this process: messages cross as JSON, in order, on a later turn, as over IPC.
 * `pause()` keeps everything the worker sends from the primary until `resume()`, like a busy
 * primary; `close()` ends the channel for both sides, like a dead one.
 */
class LoopbackChannel {
  readonly worker: IpcPort;
  readonly primary: IpcPort;
  #paused = false;
  readonly #backlog: (() => void)[] = [];
  readonly #ends = {
    worker: { onMessage: new Set<(message: unknown) => void>(), onClose: new Set<() => void>() },
    primary: { onMessage: new Set<(message: unknown) => void>(), onClose: new Set<() => void>() },
  };

  constructor() {
    this.worker = this.#port("worker", "primary");
    this.primary = this.#port("primary", "worker");
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const deliver of this.#backlog.splice(0)) setImmediate(deliver);
  }

  close(): void {
    for (const end of Object.values(this.#ends)) {
      for (const onClose of end.onClose) onClose();
      end.onMessage.clear();
      end.onClose.clear();
    }
  }

  #port(from: "worker" | "primary", to: "worker" | "primary"): IpcPort {
    return {
      post: (message) => {
        const copy = JSON.parse(JSON.stringify(message)) as unknown;
        const deliver = () => {
          for (const onMessage of this.#ends[to].onMessage) onMessage(copy);
        };
        if (this.#paused && to === "primary") this.#backlog.push(deliver);
        else setImmediate(deliver);
      },
      listen: (onMessage, onClose) => {
        const end = this.#ends[from];
        end.onMessage.add(onMessage);
        end.onClose.add(onClose);
        return () => {
          end.onMessage.delete(onMessage);
          end.onClose.delete(onClose);
        };
      },
    };
  }
}
runStateStoreConformance("ipc (host in this process)", async () => {
  const clock = manualClock();
  const errors: unknown[] = [];
  const host = new IpcStateHost(new MemoryStore({ now: clock.now }), (error) => errors.push(error));
  const channel = new LoopbackChannel();
  host.serve(channel.primary);
  return connectIpcWorker(channel.worker, clock, errors, () => host.close());
});

describe("IpcStore with an IpcStateHost", () => {
  const closers: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function worker(host: IpcStateHost, options: Partial<IpcStoreOptions> = {}) {
    const channel = new LoopbackChannel();
    host.serve(channel.primary);
    const statuses: StoreStatus[] = [];
    const store = await IpcStore.connect({
      port: channel.worker,
      onStatusChange: (status) => statuses.push(status),
      onError: () => {},
      ...options,
    });
    closers.push(() => store.close());
    return { store, channel, statuses };
  }

  function newHost(): IpcStateHost {
    const host = new IpcStateHost();
    closers.push(() => host.close());
    return host;
  }

  it("holds one cap across workers and tells every worker of every change, its own included", async () => {
    const host = newHost();
    const [{ store: a }, { store: b }] = await Promise.all([worker(host), worker(host)]);
    expect(a.kind).toBe("ipc");

    const attempts = Array.from({ length: 40 }, (_, index) =>
      (index % 2 ? a : b).acquire("shared", 4, 10_000),
    );
    const granted = (await Promise.all(attempts)).filter((lease): lease is Lease => lease !== undefined);
    expect(granted).toHaveLength(4);
    expect(await b.inflight("shared")).toBe(4);
    await Promise.all(granted.map((lease) => lease.release()));
    expect(await a.inflight("shared")).toBe(0);

    const heardByA: StateEvent[] = [];
    const heardByB: StateEvent[] = [];
    a.subscribe((event) => heardByA.push(event));
    b.subscribe((event) => heardByB.push(event));
    await a.putRegistration("gpu-1", { url: "http://10.0.0.1:8000" });
    // The caller hears its own change before the call resolves, as from a MemoryStore.
    expect(heardByA).toEqual([{ type: "put", id: "gpu-1", record: { url: "http://10.0.0.1:8000" } }]);
    await a.recordFailure("flaky", 1, 30_000);
    await eventually(() => heardByB.length === 2, 2_000);
    expect(heardByB.map((event) => event.type)).toEqual(["put", "circuit"]);
    expect((await b.circuit("flaky")).state).toBe("open");
    expect((await b.registrations()).get("gpu-1")).toEqual({ url: "http://10.0.0.1:8000" });

    // A worker started later loads what is there; a delete anywhere reaches it.
    const { store: c } = await worker(host);
    const heardByC: StateEvent[] = [];
    c.subscribe((event) => heardByC.push(event));
    await b.deleteRegistration("gpu-1");
    await eventually(() => heardByC.some((event) => event.type === "delete" && event.id === "gpu-1"), 2_000);
  });

  it("answers from its local view while the primary is silent, then catches up", async () => {
    const host = newHost();
    const { store, channel, statuses } = await worker(host, { callTimeoutMs: 100, recoverIntervalMs: 50 });
    channel.pause();

    // The first call waits out the deadline, then everything answers locally at once.
    const first = await store.acquire("b", 1, 60_000);
    expect(first).toBeDefined();
    expect(store.status()).toBe("degraded");
    expect(statuses).toEqual(["degraded"]);
    expect(await store.acquire("b", 1, 60_000)).toBeUndefined(); // the cap counts this worker's lease
    const heard: StateEvent[] = [];
    store.subscribe((event) => heard.push(event));
    await store.putRegistration("kept", { url: "http://10.0.0.2:8000" });
    expect(heard).toEqual([{ type: "put", id: "kept", record: { url: "http://10.0.0.2:8000" } }]);

    channel.resume();
    await eventually(() => store.status() === "ok", 5_000);
    expect(statuses).toEqual(["degraded", "ok"]);
    // The write made meanwhile reached the primary; the lease it granted too late was given back.
    expect((await host.store.registrations()).get("kept")).toEqual({ url: "http://10.0.0.2:8000" });
    await eventually(async () => (await host.store.inflight("b")) === 0, 2_000);
    await first?.release();
    expect(await store.acquire("b", 1, 60_000)).toBeDefined();
    expect(await host.store.inflight("b")).toBe(1);
  });

  it("keeps answering, degraded, once the channel to the primary is gone", async () => {
    const host = newHost();
    const { store, channel } = await worker(host);
    channel.close();
    expect(store.status()).toBe("degraded");
    const lease = await store.acquire("b", 1, 60_000);
    expect(lease?.inflight).toBe(1);
    expect(await store.acquire("b", 1, 60_000)).toBeUndefined();
    expect(await lease?.renew()).toBe(true);
    await lease?.release();
    expect(await store.recordFailure("b", 1, 30_000)).toMatchObject({ state: "open" });
    expect(await store.registrations()).toEqual(new Map());
  });
});
