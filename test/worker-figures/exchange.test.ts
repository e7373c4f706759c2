/**
 * The `--workers` figures exchange over in-process channels: a worker gathers every joined worker's
 * report through the relay, a worker that does not answer in time or whose channel ends is named
 * instead, and a silent primary leaves the asking worker with nothing rather than a hang.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { IpcPort } from "../../src/state/ipc-port.js";
import {
  type FiguresReporter,
  joinWorkerFigures,
  type WorkerFigures,
} from "../../src/worker-figures/client.js";
import { FiguresRelay } from "../../src/worker-figures/relay.js";

/** Both ends of one channel: messages cross as JSON, in order, on a later turn, as over IPC. */
function channel() {
  const listeners = {
    worker: { message: new Set<(message: unknown) => void>(), close: new Set<() => void>() },
    primary: { message: new Set<(message: unknown) => void>(), close: new Set<() => void>() },
  };
  const port = (from: "worker" | "primary", to: "worker" | "primary"): IpcPort => ({
    post(message) {
      const copy = JSON.parse(JSON.stringify(message)) as unknown;
      setImmediate(() => {
        for (const onMessage of listeners[to].message) onMessage(copy);
      });
    },
    listen(onMessage, onClose) {
      listeners[from].message.add(onMessage);
      listeners[from].close.add(onClose);
      return () => {
        listeners[from].message.delete(onMessage);
        listeners[from].close.delete(onClose);
      };
    },
  });
  return {
    worker: port("worker", "primary"),
    primary: port("primary", "worker"),
    close() {
      for (const end of Object.values(listeners)) {
        for (const onClose of end.close) onClose();
        end.message.clear();
        end.close.clear();
      }
    },
  };
}

const joined: WorkerFigures[] = [];
afterEach(() => {
  for (const worker of joined.splice(0)) worker.leave();
});

function join(relay: FiguresRelay, slot: number, pid: number, report: FiguresReporter) {
  const link = channel();
  relay.serve(link.primary, pid);
  const figures = joinWorkerFigures(link.worker, slot, report);
  joined.push(figures);
  return { figures, link };
}

const reporting =
  (requests: number): FiguresReporter =>
  (of) => ({ requests, inflight: 0, figures: { of, requests } });

/** Resolves once the relay has heard every join posted so far (they cross on a later turn). */
const settled = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

describe("figures exchange", () => {
  it("gathers every joined worker's report, in slot order and named by slot and pid", async () => {
    const relay = new FiguresRelay(5_000);
    const second = join(relay, 2, 202, reporting(3));
    const first = join(relay, 1, 101, reporting(5));
    await settled();

    const gathered = await second.figures.gather("stats");
    expect(gathered).toEqual({
      reports: [
        { worker: 1, pid: 101, requests: 5, inflight: 0, figures: { of: "stats", requests: 5 } },
        { worker: 2, pid: 202, requests: 3, inflight: 0, figures: { of: "stats", requests: 3 } },
      ],
      unanswered: [],
      deadlineMs: 5_000,
    });
    expect((await first.figures.gather("metrics"))?.reports.map((report) => report.figures)).toEqual([
      { of: "metrics", requests: 5 },
      { of: "metrics", requests: 3 },
    ]);
  });

  it("leaves out, and names, a worker that does not answer before the deadline", async () => {
    const relay = new FiguresRelay(50);
    const asker = join(relay, 1, 101, reporting(5));
    join(relay, 2, 202, () => new Promise(() => {}));
    await settled();

    const gathered = await asker.figures.gather("status");
    expect(gathered?.reports.map((report) => report.worker)).toEqual([1]);
    expect(gathered?.unanswered).toEqual([{ worker: 2, pid: 202 }]);
  });

  it("does not wait for a worker whose channel ends while it is asked", async () => {
    const relay = new FiguresRelay(60_000);
    const asker = join(relay, 1, 101, reporting(5));
    let dying: (() => void) | undefined;
    const stuck = join(relay, 2, 202, () => {
      dying?.();
      return new Promise(() => {});
    });
    dying = () => stuck.link.close();
    await settled();

    const gathered = await asker.figures.gather("stats");
    expect(gathered?.reports.map((report) => report.worker)).toEqual([1]);
    expect(gathered?.unanswered).toEqual([{ worker: 2, pid: 202 }]);
    // Gone, it is no longer asked at all.
    expect((await asker.figures.gather("stats"))?.unanswered).toEqual([]);
  });

  it("gives the asking worker nothing when the primary does not answer, and nothing once the channel is gone", async () => {
    const link = channel();
    const figures = joinWorkerFigures(link.worker, 1, reporting(1), 20);
    joined.push(figures);
    expect(await figures.gather("stats")).toBeUndefined();
    link.close();
    expect(await figures.gather("stats")).toBeUndefined();
  });
});
