/**
 * A cheap abort signal for "the client went away". undici accepts any EventEmitter with `aborted`
 * as a request's signal; an AbortController costs an EventTarget and an AbortSignal per request,
 * which showed up in the gateway's profile.
 * @module
 */
import { EventEmitter } from "node:events";

export class ClientGone extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit("abort");
  }
}
