/**
 * The gateway's side of the response store: writes go out without holding up the answer, and a read
 * of an id whose write is still in flight waits for it, so a client that sends its follow-up the
 * moment `response.completed` arrives still finds the response it continues (on this replica; a
 * store shared through Redis has it as soon as the write lands).
 * @module
 */
import type { Logger } from "pino";
import type { ResponseStore, StoredResponse } from "../state/response-store/response-store.js";
import { callResponseStore } from "./response-store-call.js";

export class StoredResponses {
  readonly store: ResponseStore;
  readonly #logger: Logger;
  /** Writes in flight, by response id; each removes itself when it settles. */
  readonly #pending = new Map<string, Promise<unknown>>();

  constructor(store: ResponseStore, logger: Logger) {
    this.store = store;
    this.#logger = logger;
  }

  /** Writes `entry`; the promise settles (never rejects) when the write has. */
  keep(entry: StoredResponse): Promise<void> {
    const write = this.store
      .put(entry)
      .then((outcome) => {
        if (outcome === "too_large") {
          this.#logger.warn(
            { responseId: entry.id },
            "response not stored: larger than the store's entry limit",
          );
        }
      })
      .catch((error: unknown) =>
        this.#logger.warn({ err: error, responseId: entry.id }, "response not stored"),
      )
      .finally(() => this.#pending.delete(entry.id));
    this.#pending.set(entry.id, write);
    return write;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const pending = this.#pending.get(id);
    if (pending) await pending;
    return callResponseStore(() => this.store.get(id));
  }
}
