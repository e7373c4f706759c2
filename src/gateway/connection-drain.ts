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
 * - closes a connection only once it has been idle for {@link DrainOptions.idleGraceMs} with no
 *   byte of a new request read: HTTP/1.1 has no way to tell a client "do not reuse" on an idle
 *   connection, so a client that picks a long-idle one at the very instant it closes can still see
 *   a reset, the same race as any server's keep-alive timeout;
 * - resolves once no connection is left, or at the deadline after destroying the rest.
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

interface ConnectionState {
  /** Responses not yet finished on this connection (more than one only when pipelined). */
  responses: Set<ServerResponse>;
  idleSince: number;
  /** `socket.bytesRead` when the last response finished: more means a new request has begun. */
  bytesReadWhenIdle: number;
}

const SWEEP_INTERVAL_MS = 100;

/** Tracks the connections of `server` from now on, so that {@link ConnectionDrain.drain} can end them. */
export class ConnectionDrain {
  readonly #server: Server;
  readonly #connections = new Map<Socket, ConnectionState>();
  #draining = false;

  constructor(server: Server) {
    this.#server = server;
    server.on("connection", (socket: Socket) => {
      this.#connections.set(socket, { responses: new Set(), idleSince: Date.now(), bytesReadWhenIdle: 0 });
      socket.once("close", () => this.#connections.delete(socket));
    });
    // Before fastify's own listener, so a request that arrives while draining is marked in time.
    server.prependListener("request", (request, response: ServerResponse) => {
      const connection = this.#connections.get(request.socket);
      if (this.#draining) response.shouldKeepAlive = false;
      if (!connection) return;
      connection.responses.add(response);
      response.once("close", () => {
        connection.responses.delete(response);
        connection.idleSince = Date.now();
        connection.bytesReadWhenIdle = request.socket.bytesRead;
      });
    });
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Stops accepting, lets every connection finish as described above; resolves when none is left. */
  async drain(options: DrainOptions): Promise<void> {
    this.#draining = true;
    // net's close, not http's: http's close() would first destroy the connections idle right now.
    if (this.#server.listening) NetServer.prototype.close.call(this.#server);
    for (const connection of this.#connections.values())
      for (const response of connection.responses)
        if (!response.headersSent) response.shouldKeepAlive = false;
    const deadline = Date.now() + options.deadlineMs;
    while (this.#connections.size > 0) {
      if (Date.now() >= deadline) {
        for (const socket of this.#connections.keys()) socket.destroy();
        break;
      }
      this.#closeIdle(options.idleGraceMs);
      await new Promise((resolve) => setTimeout(resolve, SWEEP_INTERVAL_MS));
    }
  }

  #closeIdle(graceMs: number): void {
    const idleBefore = Date.now() - graceMs;
    for (const [socket, connection] of this.#connections) {
      const idle = connection.responses.size === 0 && socket.bytesRead === connection.bytesReadWhenIdle;
      if (idle && connection.idleSince <= idleBefore) socket.destroy();
    }
  }
}
