/**
 * A cheap abort signal for "the client went away". undici accepts any object with `on`, `once`,
 * `removeListener` and `aborted` as a request's signal (it subscribes with `once` and unsubscribes
 * with `removeListener`); an AbortController costs an EventTarget and an AbortSignal per request,
 * and an EventEmitter its own setup and a wrapper per `once`, both of which showed up in the
 * gateway's profile. There is one event, and it fires once, so `once` and `on` are the same here.
 * @module
 */

type Listener = () => void;

export class ClientGone {
  aborted = false;
  /** Listeners in the order added; undefined until the first, and again once aborted. */
  #listeners: Listener[] | undefined;

  on(_event: "abort", listener: Listener): this {
    if (this.#listeners) this.#listeners.push(listener);
    else this.#listeners = [listener];
    return this;
  }

  once(event: "abort", listener: Listener): this {
    return this.on(event, listener);
  }

  addListener(event: "abort", listener: Listener): this {
    return this.on(event, listener);
  }

  /** Removes the listener added last of those equal to `listener`, as an EventEmitter does. */
  removeListener(_event: "abort", listener: Listener): this {
    const listeners = this.#listeners;
    if (!listeners) return this;
    const at = listeners.lastIndexOf(listener);
    // Listeners mostly leave in the reverse order they came (undici's, then an attempt's): a pop
    // allocates nothing, where splice makes an array of what it removed on every request.
    if (at === listeners.length - 1) listeners.pop();
    else if (at !== -1) listeners.splice(at, 1);
    return this;
  }

  off(event: "abort", listener: Listener): this {
    return this.removeListener(event, listener);
  }

  listenerCount(_event: "abort"): number {
    return this.#listeners?.length ?? 0;
  }

  /** Tells every listener, once; later calls do nothing. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }
}
