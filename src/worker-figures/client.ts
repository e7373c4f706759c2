/**
 * A `--workers` worker's side of the figures exchange (messages.ts): it answers the
 * primary's requests for its own figures, and gathers every worker's when one of its clients asks
 * `/stats`, `/status` or `/metrics`. Nothing here runs on the request path of proxied requests.
 * @module
 */
import type { IpcPort } from "../state/ipc-port.js";
import {
  asFiguresMessage,
  FIGURES_TAG,
  type FiguresKind,
  type Gathered,
  type LocalReport,
} from "./messages.js";
import { DEFAULT_FIGURES_DEADLINE_MS } from "./relay.js";

/** What the gateway's routes see of the other workers. */
export interface WorkerFigures {
  /**
   * Every worker's figures of this kind (this worker's included), or undefined when the primary
   * did not answer in time or the channel is gone: the caller then shows its own figures only.
   */
  gather(of: FiguresKind): Promise<Gathered | undefined>;
  /** Stops answering and asking. */
  leave(): void;
}

/** This worker's own figures of one kind. */
export type FiguresReporter = (of: FiguresKind) => LocalReport | Promise<LocalReport>;

/** Beyond the primary's own deadline, room for the round trips. */
const PRIMARY_GRACE_MS = 500;

/**
 * Joins the exchange as worker `worker` (its slot) on `port`, the channel to the primary, and
 * answers with `report`.
 */
export function joinWorkerFigures(
  port: IpcPort,
  worker: number,
  report: FiguresReporter,
  timeoutMs = DEFAULT_FIGURES_DEADLINE_MS + PRIMARY_GRACE_MS,
): WorkerFigures {
  const pending = new Map<number, (gathered: Gathered | undefined) => void>();
  let nextId = 1;
  let open = true;
  const answer = async (id: number, of: FiguresKind) => {
    try {
      port.post({ tag: FIGURES_TAG, kind: "report", id, report: await report(of) });
    } catch {
      // A worker that cannot report is left out by the primary's deadline, and said to be.
    }
  };
  const settleAll = () => {
    for (const settle of [...pending.values()]) settle(undefined);
  };
  const stop = port.listen(
    (raw) => {
      const message = asFiguresMessage(raw);
      if (message?.kind === "report-request") void answer(message.id, message.of);
      else if (message?.kind === "gathered") pending.get(message.id)?.(message.gathered);
    },
    () => {
      open = false;
      settleAll();
    },
  );
  port.post({ tag: FIGURES_TAG, kind: "join", worker });
  return {
    gather(of) {
      if (!open) return Promise.resolve(undefined);
      const id = nextId++;
      return new Promise((resolve) => {
        const timer = setTimeout(() => settle(undefined), timeoutMs);
        const settle = (gathered: Gathered | undefined) => {
          clearTimeout(timer);
          pending.delete(id);
          resolve(gathered);
        };
        pending.set(id, settle);
        port.post({ tag: FIGURES_TAG, kind: "gather", id, of });
      });
    },
    leave() {
      open = false;
      stop();
      settleAll();
    },
  };
}
