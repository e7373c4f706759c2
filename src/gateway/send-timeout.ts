/**
 * nginx's `send_timeout` for the gateway's clients: a connection whose answer waits to be written
 * and could not be, not one byte, for `send_timeout` is closed. `client_timeout` covers receiving
 * the request only, so a client that never reads would otherwise hold its slot, its upstream and
 * the answer's bytes in memory for as long as it liked. Closing the socket frees all three: the
 * relay and the SSE pump destroy the upstream body when their client's response closes.
 *
 * A connection with nothing waiting (idle keep-alive, a stream whose backend is thinking) is never
 * cut here. One sweep for every connection, four times per timeout, so a connection is closed
 * between one and one and a half timeouts after its last progress, without a timer per write.
 * @module
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";

/** Sweeps per timeout: the closing time is late by at most half a timeout. */
const SWEEPS_PER_TIMEOUT = 4;

interface Progress {
  /** Bytes whose write completed, at the last sweep. */
  written: number;
  /** Sweeps in a row that found bytes waiting and none written since the one before. */
  stalled: number;
}

/** Watches every connection `server` accepts from now on; a timeout of 0 watches nothing. */
export function enforceSendTimeout(server: Server, timeoutMs: number): void {
  if (!(timeoutMs > 0)) return;
  const connections = new Map<Socket, Progress>();
  server.on("connection", (socket: Socket) => {
    connections.set(socket, { written: 0, stalled: 0 });
    socket.once("close", () => connections.delete(socket));
  });
  const sweep = setInterval(() => {
    for (const [socket, progress] of connections) {
      if (isStuck(socket, progress)) {
        connections.delete(socket);
        socket.destroy();
      }
    }
  }, timeoutMs / SWEEPS_PER_TIMEOUT);
  sweep.unref();
  server.once("close", () => clearInterval(sweep));
}

/**
 * Updates `progress` from the socket and says whether it has stalled for a whole timeout (one sweep
 * more than the timeout holds, since the first stalled sweep may come just after the last write).
 */
export function isStuck(
  socket: Pick<Socket, "bytesWritten" | "writableLength">,
  progress: Progress,
): boolean {
  const waiting = socket.writableLength;
  // bytesWritten counts bytes handed to the socket, waiting ones included.
  const written = (socket.bytesWritten ?? 0) - waiting;
  if (waiting === 0 || written !== progress.written) {
    progress.written = written;
    progress.stalled = 0;
    return false;
  }
  progress.stalled++;
  return progress.stalled > SWEEPS_PER_TIMEOUT;
}
