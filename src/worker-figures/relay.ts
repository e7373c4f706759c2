/**
 * The `--workers` primary's side of the figures exchange (messages.ts): when a worker asks
 * for every worker's figures, ask each joined worker for its own and hand back whatever arrived
 * before the deadline. The primary neither computes nor merges figures; it only fans the question
 * out, so it costs nothing until someone calls `/stats`, `/status` or `/metrics`.
 * @module
 */
import cluster from "node:cluster";
import { channelPort, type IpcPort } from "../state/ipc-port.js";
import {
  asFiguresMessage,
  FIGURES_TAG,
  type FiguresKind,
  type Gathered,
  type LocalReport,
  type WorkerName,
  type WorkerReport,
} from "./messages.js";

/** Long enough for a busy worker to render its metrics, short enough that the endpoint never hangs. */
export const DEFAULT_FIGURES_DEADLINE_MS = 1_000;

interface Round {
  readonly asker: IpcPort;
  readonly askerId: number;
  /** The workers asked that have not answered yet. */
  readonly waiting: Map<IpcPort, WorkerName>;
  /** The workers asked whose channel ended before they answered. */
  readonly lost: WorkerName[];
  readonly reports: WorkerReport[];
  readonly timer: NodeJS.Timeout;
}

export class FiguresRelay {
  readonly #deadlineMs: number;
  /** Workers that answer figure requests (they joined), by their channel. */
  readonly #members = new Map<IpcPort, WorkerName>();
  readonly #rounds = new Map<number, Round>();
  #nextRound = 1;

  constructor(deadlineMs = DEFAULT_FIGURES_DEADLINE_MS) {
    this.#deadlineMs = deadlineMs;
  }

  /** Hears the figure messages of the worker with process id `pid` on `port` until its channel ends. */
  serve(port: IpcPort, pid: number): () => void {
    return port.listen(
      (raw) => {
        const message = asFiguresMessage(raw);
        if (!message) return;
        switch (message.kind) {
          case "join":
            this.#members.set(port, { worker: message.worker, pid });
            return;
          case "gather":
            this.#gather(port, message.id, message.of);
            return;
          case "report":
            this.#receive(port, message.id, message.report);
            return;
          default:
            return;
        }
      },
      () => this.#leave(port),
    );
  }

  #gather(asker: IpcPort, askerId: number, of: FiguresKind): void {
    const id = this.#nextRound++;
    const round: Round = {
      asker,
      askerId,
      waiting: new Map(this.#members),
      lost: [],
      reports: [],
      timer: setTimeout(() => this.#finish(id), this.#deadlineMs),
    };
    this.#rounds.set(id, round);
    if (round.waiting.size === 0) {
      this.#finish(id);
      return;
    }
    for (const member of round.waiting.keys())
      member.post({ tag: FIGURES_TAG, kind: "report-request", id, of });
  }

  #receive(from: IpcPort, id: number, report: LocalReport): void {
    const round = this.#rounds.get(id);
    const name = round?.waiting.get(from);
    if (!round || !name) return;
    round.waiting.delete(from);
    round.reports.push({ ...report, ...name });
    if (round.waiting.size === 0) this.#finish(id);
  }

  /** A worker that is gone will not answer: rounds waiting on it need not wait for the deadline. */
  #leave(port: IpcPort): void {
    this.#members.delete(port);
    for (const [id, round] of this.#rounds) {
      const name = round.waiting.get(port);
      if (!name) continue;
      round.waiting.delete(port);
      round.lost.push(name);
      if (round.waiting.size === 0) this.#finish(id);
    }
  }

  #finish(id: number): void {
    const round = this.#rounds.get(id);
    if (!round) return;
    this.#rounds.delete(id);
    clearTimeout(round.timer);
    const bySlot = (a: WorkerName, b: WorkerName) => a.worker - b.worker || a.pid - b.pid;
    const gathered: Gathered = {
      reports: [...round.reports].sort(bySlot),
      unanswered: [...round.waiting.values(), ...round.lost].sort(bySlot),
      deadlineMs: this.#deadlineMs,
    };
    round.asker.post({ tag: FIGURES_TAG, kind: "gathered", id: round.askerId, gathered });
  }
}

/** Relays figures between every worker forked from now on. */
export function relayFiguresForWorkers(deadlineMs = DEFAULT_FIGURES_DEADLINE_MS): void {
  const relay = new FiguresRelay(deadlineMs);
  cluster.on("fork", (worker) => {
    relay.serve(channelPort(worker), worker.process.pid ?? 0);
  });
}
