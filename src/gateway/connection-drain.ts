/**
 * Graceful drain of the gateway's HTTP/1.1 server that loses no request a client sent or is about
 * to send on a keep-alive connection.
 *
 * Node's `server.close()` destroys every connection idle at that instant, and fastify answers 503
 * to a request that arrives on a kept-alive connection while it closes. A busy client's connection
 * is "idle" for the microseconds between one response and its next request, so both lose requests
 * that were already on their way. Here draining instead:
 * - stops accepting connections (under `node:cluster` the primary then hands new ones to the
 *   other workers) but leaves the open ones alone;
 * - serves every request that still arrives, and answers it, and every response whose headers are
 *   not sent yet, with `Connection: close`, so the client itself ends the connection after it;
 * - closes a connection only once it has been idle for {@link DrainOptions.idleGraceMs} (no
 *   response in flight, no byte of a new request read) since the drain began: HTTP/1.1 has no way
 *   to tell a client "do not reuse" on an idle connection, so a client that picks a long-idle one
 *   at the very instant it closes can still see a reset, the same race as any server's keep-alive
 *   timeout;
 * - resolves once no connection is left, or at the deadline after destroying the rest.
 *
 * Until a drain begins nothing runs per request: only connections are tracked. A listener on every
 * request and its response cost about 1 % of the gateway's instructions per request (a second
 * `request` listener also makes Node copy the listener array on every emit); whether a connection
 * is busy is read when draining from what Node itself keeps.
 * @module
 */
import type { Server, ServerResponse } from "node:http";
import { Server as NetServer, type Socket } from "node:net";

export interface DrainOptions {
  /** A connection idle this long (no response in flight, no request byte read) is closed. */
  idleGraceMs: number;
  /** After this long every connection left is destroyed, streams included. */
  deadlineMs: number;
}

/**
 * A server socket as Node's HTTP server keeps it: `_httpMessage` is the response that owns the
 * connection now (set when a request arrives, cleared when its response finishes). Not in Node's
 * types, but long stable, and read the same way by graceful-shutdown libraries (http-terminator).
 */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/** What a drain knows of one connection. */
interface Watch {
  /** When the connection was last seen busy (or the drain began). */
  idleSince: number;
  /** `socket.bytesRead` then: more means a new request has begun. */
  bytesRead: number;
}

const SWEEP_INTERVAL_MS = 100;

/** Tracks the connections of `server` from now on, so that {@link ConnectionDrain.drain} can end them. */
export class ConnectionDrain {
  readonly #server: Server;
  readonly #sockets = new Set<HttpSocket>();
  #draining = false;

  constructor(server: Server) {
    this.#server = server;
    server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Stops accepting, lets every connection finish as described above; resolves when none is left. */
  async drain(options: DrainOptions): Promise<void> {
    if (!this.#draining) {
      this.#draining = true;
      // Before fastify's own listener, so a request that arrives while draining is marked in time.
      this.#server.prependListener("request", (_request, response: ServerResponse) => {
        response.shouldKeepAlive = false;
      });
    }
    // net's close, not http's: http's close() would first destroy the connections idle right now.
    if (this.#server.listening) NetServer.prototype.close.call(this.#server);
    for (const socket of this.#sockets) {
      const response = socket._httpMessage;
      if (response && !response.headersSent) response.shouldKeepAlive = false;
    }
    const watches = new Map<HttpSocket, Watch>();
    const deadline = Date.now() + options.deadlineMs;
    while (this.#sockets.size > 0) {
      if (Date.now() >= deadline) {
        for (const socket of this.#sockets) socket.destroy();
        break;
      }
      this.#closeIdle(watches, options.idleGraceMs);
      await new Promise((resolve) => setTimeout(resolve, SWEEP_INTERVAL_MS));
    }
  }

  #closeIdle(watches: Map<HttpSocket, Watch>, graceMs: number): void {
    const now = Date.now();
    for (const socket of this.#sockets) {
      const watch = watches.get(socket);
      const busy = Boolean(socket._httpMessage);
      if (!watch || busy || socket.bytesRead !== watch.bytesRead) {
        watches.set(socket, { idleSince: now, bytesRead: socket.bytesRead });
      } else if (now - watch.idleSince >= graceMs) {
        watches.delete(socket);
        socket.destroy();
      }
    }
  }
}
