/**
 * A `--workers` worker's response store with its host in this process, over a channel that behaves
 * like IPC (messages cross as JSON, in order, on a later turn): the conformance suite, two workers
 * sharing one store, and a primary that does not answer or is gone.
 */
import { describe, expect, it } from "vitest";
import { IpcResponseStore } from "../../../src/state/response-store/ipc-client.js";
import { IpcResponseHost } from "../../../src/state/response-store/ipc-host.js";
import { MemoryResponseStore } from "../../../src/state/response-store/memory.js";
import { ResponseStoreUnavailableError } from "../../../src/state/response-store/response-store.js";
import { manualClock } from "../conformance.js";
import { loopback } from "../loopback.js";
import { entry, LIMITS, runResponseStoreConformance } from "./conformance.js";

runResponseStoreConformance("ipc (host in this process)", async (limits) => {
  const clock = manualClock();
  const errors: unknown[] = [];
  const host = new IpcResponseHost(new MemoryResponseStore({ ...limits, now: clock.now }), (error) =>
    errors.push(error),
  );
  const channel = loopback();
  host.serve(channel.primary);
  const store = new IpcResponseStore({ port: channel.worker });
  return {
    store,
    clock,
    cleanup: async () => {
      await store.close();
      await host.close();
      expect(errors).toEqual([]);
    },
  };
});

describe("IpcResponseStore", () => {
  it("shares the primary's one store between workers", async () => {
    const host = new IpcResponseHost(new MemoryResponseStore(LIMITS));
    const [one, two] = [loopback(), loopback()];
    host.serve(one.primary);
    host.serve(two.primary);
    const a = new IpcResponseStore({ port: one.worker });
    const b = new IpcResponseStore({ port: two.worker });
    expect(a.kind).toBe("ipc");
    await a.put(entry("resp_1", 0, [{ id: "msg_1" }]));
    expect(await b.get("resp_1")).toEqual(entry("resp_1", 0, [{ id: "msg_1" }]));
    expect(await b.delete("resp_1")).toBe(true);
    expect(await a.get("resp_1")).toBeUndefined();
    await Promise.all([a.close(), b.close(), host.close()]);
  });

  it("rejects as unavailable when the primary does not answer or its channel is gone", async () => {
    const silent = loopback();
    const store = new IpcResponseStore({ port: silent.worker, callTimeoutMs: 20 });
    await expect(store.get("resp_1")).rejects.toBeInstanceOf(ResponseStoreUnavailableError);

    const host = new IpcResponseHost(new MemoryResponseStore(LIMITS));
    const dying = loopback();
    host.serve(dying.primary);
    const orphan = new IpcResponseStore({ port: dying.worker });
    const pending = orphan.get("resp_1");
    dying.close();
    await expect(pending).rejects.toBeInstanceOf(ResponseStoreUnavailableError);
    await expect(orphan.put(entry("resp_2"))).rejects.toBeInstanceOf(ResponseStoreUnavailableError);
    await Promise.all([store.close(), orphan.close(), host.close()]);
  });
});
