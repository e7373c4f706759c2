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

/** Starts the worker and waits until its database is open; an open that fails rejects here. */
export async function openWorkerStore(dir: string | undefined): Promise<LedgerStore> {
  if (createsDatabase(dir)) await createInPassingWorker(dir);
  return new WorkerStore(await startWorker(dir));
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
  await new WorkerStore(await startWorker(dir)).close();
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

class WorkerStore implements LedgerStore {
  readonly kind = "embedded";
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #stopped: Error | undefined;

  constructor(worker: Worker) {
    this.#worker = worker;
    worker.unref();
    worker.on("message", (message: WorkerMessage) => this.#settle(message));
    worker.on("error", (error) => this.#stop(error));
    worker.on("exit", (code) => this.#stop(new Error(`the ledger's database worker exited (code ${code})`)));
  }

  migrate(): Promise<void> {
    return this.#call({ op: "migrate" });
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

  async close(): Promise<void> {
    try {
      if (!this.#stopped) await this.#call({ op: "close" });
    } finally {
      this.#stopped ??= new Error("the ledger's database is closed");
      await this.#worker.terminate();
    }
  }

  #call<O extends Op>(call: CallOf<O> & { op: O }): Promise<WorkerResults[O]> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      // Held open only while an answer is awaited: see the module comment.
      if (this.#pending.size === 1) this.#worker.ref();
      this.#worker.postMessage({ ...call, id });
    });
  }

  #settle(message: WorkerMessage): void {
    if (message.kind !== "result" && message.kind !== "failure") return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (message.kind === "result") pending.resolve(message.value);
    else pending.reject(new Error(message.message));
  }

  #stop(error: Error): void {
    this.#stopped ??= error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
