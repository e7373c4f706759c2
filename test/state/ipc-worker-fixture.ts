/** The worker side of an IPC store fixture, whichever way its host runs (in this process or forked). */
import { expect } from "vitest";
import { IpcStore } from "../../src/state/ipc-client.js";
import type { IpcPort } from "../../src/state/ipc-port.js";
import type { FixtureClock, StoreFixture } from "./conformance.js";
import { unexpectedErrors } from "./store-errors.js";

/**
 * Connects a worker's store to `port`. Cleanup closes it, then the host, and fails on any error the
 * store or host reported into `errors` that a case did not cause on purpose.
 */
export async function connectIpcWorker(
  port: IpcPort,
  clock: FixtureClock,
  errors: unknown[],
  closeHost: () => Promise<void>,
): Promise<StoreFixture> {
  // A generous deadline: on a loaded machine a late answer must not turn a case into an outage.
  const store = await IpcStore.connect({
    port,
    callTimeoutMs: 5_000,
    now: clock.now,
    onError: (error) => errors.push(error),
  });
  return {
    store,
    clock,
    cleanup: async () => {
      await store.close();
      await closeHost();
      expect(unexpectedErrors(errors)).toEqual([]);
    },
  };
}
