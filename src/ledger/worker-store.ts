/**
 * The embedded database reached through a worker thread (embedded-worker.ts): each store call is
 * a message, answered by its id. The gateway's thread only clones the batch into the message;
 * Postgres's parse, plan and write run on the worker's. The worker keeps the process alive only
 * while a call waits for its answer, so an idle ledger never holds a process open.
 * @module
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { columnsOf } from "./insert.js";
import type { RequestsPage, RequestsQuery, UsageQuery, UsageRow } from "./queries.js";
import type { LedgerRow } from "./row.js";
import type { LedgerStore } from "./store.js";
import type { WorkerCall, WorkerData, WorkerMessage, WorkerResults } from "./worker-protocol.js";

type Op = WorkerCall["op"];
type CallOf<O extends Op> = Omit<Extract<WorkerCall, { op: O }>, "id">;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export interface WorkerStoreOptions {
  /** Told of each restart after the worker died (a crash, out of memory): the count so far and why. */
  onRestart?: (restarts: number, error: Error) => void;
  /** Told of a restart that failed; the next try waits longer. */
  onRestartFailed?: (error: Error) => void;
  /** The first restart's pause; each failed try doubles it, up to `restartMaxMs`. */
  restartMinMs?: number;
  restartMaxMs?: number;
  /** Timers, replaceable by tests; the default never keeps the process alive. */
  schedule?: (run: () => void, ms: number) => () => void;
}

/** A store whose worker comes back when it dies. */
export interface EmbeddedWorkerStore extends LedgerStore {
  /** Restarts so far. */
  readonly restarts: number;
  /** Ends the worker thread as a crash would, so a test sees the store bring it back. */
  killWorker(): Promise<void>;
}

const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 30_000;

/** Starts the worker and waits until its database is open; an open that fails rejects here. */
export async function openWorkerStore(
  dir: string | undefined,
  options: WorkerStoreOptions = {},
): Promise<EmbeddedWorkerStore> {
  if (createsDatabase(dir)) await createInPassingWorker(dir);
  return new WorkerStore(await startWorker(dir), () => startWorker(dir), options);
}

/** A directory that holds no database yet: opening it runs initdb. */
function createsDatabase(dir: string | undefined): dir is string {
  return dir !== undefined && !dir.startsWith("memory://") && !existsSync(join(dir, "PG_VERSION"));
}

/**
 * initdb grows the WebAssembly memory of the worker that runs it to several hundred MB, and a
 * WebAssembly memory never shrinks: created in a worker that then exits, the database is reopened
 * by the long-lived one at a fraction of that (measured: ~600 MB resident against ~170 MB).
 */
async function createInPassingWorker(dir: string): Promise<void> {
  await new WorkerStore(await startWorker(dir), () => startWorker(dir), {}).close();
}

async function startWorker(dir: string | undefined): Promise<Worker> {
  const { entry, evaluate } = workerEntry();
  const worker = new Worker(entry, { workerData: { dir } satisfies WorkerData, eval: evaluate });
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      worker.off("message", opened);
      worker.off("error", fail);
      worker.off("exit", exited);
      reject(error);
    };
    const exited = (code: number) => fail(new Error(`the ledger's database worker exited (code ${code})`));
    const opened = (message: WorkerMessage) => {
      worker.off("error", fail);
      worker.off("exit", exited);
      if (message.kind === "ready") resolve();
      else if (message.kind === "failed") reject(new Error(message.message));
    };
    worker.once("message", opened);
    worker.once("error", fail);
    worker.once("exit", exited);
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  return worker;
}

/**
 * The built worker beside this file. From the TypeScript source (the tests run it so), a loader
 * that imports the source through tsx's API: Node 20 neither runs .ts nor takes `--import` hooks
 * in a worker's execArgv. tsx's ESM build of the API, because its CommonJS build resolves its own
 * files wrongly from an evaluated worker.
 */
function workerEntry(): { entry: URL | string; evaluate: boolean } {
  const built = new URL("./embedded-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(built))) return { entry: built, evaluate: false };
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve("tsx/esm/api")
      .replace(/\.cjs$/, ".mjs"),
  );
  const source = new URL("./embedded-worker.ts", import.meta.url);
  const load = `import(${JSON.stringify(tsxApi.href)}).then((tsx) => tsx.tsImport(${JSON.stringify(source.href)}, ${JSON.stringify(source.href)}))`;
  return { entry: load, evaluate: true };
}

/**
 * Calls go to the current worker. When it dies, the calls it held fail (the writer keeps their rows
 * and retries them, as for a database outage), calls meanwhile fail at once, and a new worker is
 * started after a pause that doubles with each failed try; one that answers a call resets it. The
 * new worker is migrated before it takes calls when the old one was (an in-memory database
 * starts empty).
 */
class WorkerStore implements EmbeddedWorkerStore {
  readonly kind = "embedded";
  readonly #startWorker: () => Promise<Worker>;
  readonly #options: WorkerStoreOptions;
  readonly #schedule: (run: () => void, ms: number) => () => void;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #nextId = 1;
  #closed: Error | undefined;
  #down: Error | undefined;
  #migrated = false;
  #restarts = 0;
  #restartMs = 0;
  #cancelRestart: (() => void) | undefined;
  #restarting: Promise<void> | undefined;

  constructor(worker: Worker, startWorker: () => Promise<Worker>, options: WorkerStoreOptions) {
    this.#startWorker = startWorker;
    this.#options = options;
    this.#schedule = options.schedule ?? scheduleUnref;
    this.#adopt(worker);
  }

  get restarts(): number {
    return this.#restarts;
  }

  async migrate(): Promise<void> {
    await this.#call({ op: "migrate" });
    this.#migrated = true;
  }

  insert(rows: readonly LedgerRow[]): Promise<void> {
    return this.#call({ op: "insert", columns: columnsOf(rows) });
  }

  usage(query: UsageQuery): Promise<UsageRow[]> {
    return this.#call({ op: "usage", query });
  }

  requests(query: RequestsQuery): Promise<RequestsPage> {
    return this.#call({ op: "requests", query });
  }

  forgetTextBefore(before: Date): Promise<void> {
    return this.#call({ op: "forgetTextBefore", before });
  }

  async killWorker(): Promise<void> {
    await this.#worker?.terminate();
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    try {
      if (worker && !this.#closed) await this.#call({ op: "close" });
    } finally {
      this.#closed ??= new Error("the ledger's database is closed");
      this.#cancelRestart?.();
      this.#cancelRestart = undefined;
      await this.#restarting;
      await this.#worker?.terminate();
    }
  }

  #adopt(worker: Worker): void {
    this.#worker = worker;
    this.#down = undefined;
    worker.unref();
    worker.on("message", (message: WorkerMessage) => this.#settle(message));
    worker.on("error", (error) => {
      this.#down = error;
    });
    worker.once("exit", (code) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      const error = this.#down ?? new Error(`the ledger's database worker exited (code ${code})`);
      this.#down = error;
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
      if (!this.#closed) this.#scheduleRestart();
    });
  }

  #scheduleRestart(): void {
    this.#restartMs = Math.min(
      this.#options.restartMaxMs ?? RESTART_MAX_MS,
      this.#restartMs === 0 ? (this.#options.restartMinMs ?? RESTART_MIN_MS) : this.#restartMs * 2,
    );
    this.#cancelRestart = this.#schedule(() => {
      this.#cancelRestart = undefined;
      this.#restarting = this.#restart().finally(() => {
        this.#restarting = undefined;
      });
    }, this.#restartMs);
  }

  async #restart(): Promise<void> {
    let worker: Worker | undefined;
    try {
      worker = await this.#startWorker();
      if (this.#closed) {
        await worker.terminate();
        return;
      }
      const started = worker;
      if (this.#migrated) await migrateOn(started);
      this.#adopt(started);
      this.#restarts++;
      this.#options.onRestart?.(this.#restarts, this.#down ?? new Error("the ledger's database worker died"));
    } catch (error) {
      await worker?.terminate();
      if (this.#closed) return;
      this.#options.onRestartFailed?.(error as Error);
      this.#scheduleRestart();
    }
  }

  #call<O extends Op>(call: CallOf<O> & { op: O }): Promise<WorkerResults[O]> {
    if (this.#closed) return Promise.reject(this.#closed);
    const worker = this.#worker;
    if (!worker) {
      return Promise.reject(new Error(`the ledger's database worker is restarting: ${this.#down?.message}`));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      // Held open only while an answer is awaited: see the module comment.
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ ...call, id });
    });
  }

  #settle(message: WorkerMessage): void {
    if (message.kind !== "result" && message.kind !== "failure") return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (this.#pending.size === 0) this.#worker?.unref();
    // An answer, even a failing statement's: this worker lives, so the next death starts the pause afresh.
    this.#restartMs = 0;
    if (message.kind === "result") pending.resolve(message.value);
    else pending.reject(new Error(message.message));
  }
}

/** Runs the migrations on a worker not yet adopted: its only call, answered by id 0. */
function migrateOn(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const answered = (message: WorkerMessage) => {
      if ((message.kind !== "result" && message.kind !== "failure") || message.id !== 0) return;
      worker.off("message", answered);
      worker.off("exit", exited);
      if (message.kind === "result") resolve();
      else reject(new Error(message.message));
    };
    const exited = (code: number) => {
      worker.off("message", answered);
      reject(new Error(`the ledger's database worker exited while migrating (code ${code})`));
    };
    worker.on("message", answered);
    worker.once("exit", exited);
    worker.postMessage({ op: "migrate", id: 0 } satisfies WorkerCall);
  });
}

function scheduleUnref(run: () => void, ms: number): () => void {
  const timer = setTimeout(run, ms);
  timer.unref();
  return () => clearTimeout(timer);
}
