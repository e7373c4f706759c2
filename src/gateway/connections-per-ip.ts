/**
 * `max_connections_per_ip`: a new connection from an address that already holds that many is
 * closed at once, so one host cannot take every slot of `max_client_connections`. Behind a proxy
 * every client shares the proxy's address: leave it off there (0) or set it above the proxy's pool.
 * @module
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";

/** Caps the connections `server` accepts from now on per remote address; 0 caps nothing. */
export function capConnectionsPerIp(server: Server, max: number): void {
  if (!(max > 0)) return;
  const open = new Map<string, number>();
  // First, so a refused connection is gone before anything else counts it.
  server.prependListener("connection", (socket: Socket) => {
    const address = addressOf(socket);
    const held = open.get(address) ?? 0;
    if (held >= max) {
      socket.destroy();
      return;
    }
    open.set(address, held + 1);
    socket.once("close", () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}

/** An IPv4 client on a dual-stack listener is the same host as on an IPv4 one. */
function addressOf(socket: Socket): string {
  const address = socket.remoteAddress ?? "unknown";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
