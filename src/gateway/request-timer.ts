/**
 * A timer that lives within one request: an attempt's budget, a hedge's delay. Unreferenced, since
 * Node keeps one list per duration and deletes a referenced timer's list as soon as its last timer
 * is cleared: with one request at a time every attempt made that list again and deleted it (a store
 * into the duration map, a priority-queue insert and removal, libuv's timer re-armed), a few
 * thousand instructions per timer. An unreferenced timer's list stays for the next one. Nothing is
 * lost by it: while a request is under way its sockets keep the process alive.
 * @module
 */

/** Calls `callback` (with no argument) after `ms` milliseconds. */
export function requestTimer(callback: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(callback, ms).unref();
}
