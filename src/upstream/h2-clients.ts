/**
 * The HTTP/2 connections to one origin that negotiated `h2`: undici `Client`s, each carrying up to
 * `upstream_http2_streams` concurrent streams. A request goes to the first client with room, and a
 * new connection is opened only when every client is full, so 250 streams take 3 connections, not
 * 250. Every connection still goes through the address policy's connector.
 *
 * When a fresh connection to the origin negotiates HTTP/1.1 instead (the origin stopped offering
 * h2), the set is retired: clients without a live connection are destroyed with `H2WithdrawnError`,
 * which fails their queued requests as a connection failure (retried elsewhere before the first
 * byte), and live ones finish what they carry. Destroying rather than letting undici reconnect is
 * deliberate: a client that keeps reconnecting to an origin that answers http/1.1 spins in a loop.
 *
 * A graceful GOAWAY (a server rotating its connections) drains the client it reached: see
 * `#drainOnGoAway`.
 * @module
 */
import { EventEmitter } from "node:events";
import { type ClientHttp2Session, constants as http2Constants } from "node:http2";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { type buildConnector, Client, type Dispatcher } from "undici";

/** The origin negotiated HTTP/1.1 on a connection meant for h2; nothing was sent on it. */
export class H2WithdrawnError extends Error {
  readonly code = "SWY_ERR_H2_WITHDRAWN";
  constructor(origin: string) {
    super(`${origin} no longer offers HTTP/2 (ALPN chose http/1.1); the request was not sent.`);
    this.name = "H2WithdrawnError";
  }
}

export interface H2ClientsOptions {
  /** Most concurrent streams sent on one connection before another is opened. */
  streams: number;
  /** Most connections (`upstream_connections`); beyond, requests queue on the least busy. 0: no bound. */
  connections: number;
  /** Opens TLS connections offering h2 (the address policy's connector, `allowH2: true`). */
  connect: buildConnector.connector;
  /** Told once, when a new connection negotiated HTTP/1.1: the owner forgets that the origin speaks h2. */
  onWithdrawn: (error: H2WithdrawnError) => void;
  /** A socket that already negotiated h2 (while the origin's protocol was learnt), used first. */
  socket?: Socket | TLSSocket | undefined;
}

export interface H2Figures {
  running: number;
  /** Requests a client holds but has not sent yet (it is connecting). */
  pending: number;
  connected: number;
  /** Connected clients with room for another stream. */
  free: number;
}

export class H2Clients {
  readonly #origin: string;
  readonly #options: H2ClientsOptions;
  readonly #clients: Client[] = [];
  /** Clients that received a graceful GOAWAY: finishing their streams, taking no new ones. */
  readonly #draining = new Set<Client>();
  #retired = false;
  /** The server's SETTINGS_MAX_CONCURRENT_STREAMS once a connection received one unlike `streams`. */
  #advertised: number | undefined;
  #socket: Socket | TLSSocket | undefined;

  constructor(origin: string, options: H2ClientsOptions) {
    this.#origin = origin;
    this.#options = options;
    this.#socket = options.socket;
  }

  /** How many connections the set holds, connected or not (tests and figures). */
  get size(): number {
    return this.#clients.length;
  }

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    // undici holds a non-idempotent request back while another runs on the same client (a pipelining
    // rule); h2 streams are independent, so POSTs may share the connection.
    return this.#pick().dispatch({ ...options, idempotent: true }, handler);
  }

  #pick(): Client {
    let leastBusy: Client | undefined;
    let leastSize = Number.POSITIVE_INFINITY;
    for (const client of this.#clients) {
      if (client.closed || client.destroyed) continue;
      const size = client.stats.size;
      if (size < this.#room(client)) return client;
      if (size < leastSize) {
        leastBusy = client;
        leastSize = size;
      }
    }
    const atBound = this.#options.connections > 0 && this.#clients.length >= this.#options.connections;
    // At `upstream_connections`, requests queue on the least busy connection (shown as `queued`).
    if (atBound && leastBusy) return leastBusy;
    return this.#open();
  }

  /**
   * Streams one client may carry: `streams`, or fewer once the server's SETTINGS advertise a lower
   * SETTINGS_MAX_CONCURRENT_STREAMS (undici records it, but still writes past it, and Node then
   * holds the excess streams unsent). Its pipelining follows, so undici keeps any excess queued.
   */
  #room(client: Client): number {
    const advertised = peerStreamLimit(client);
    // A changed value came from the server's SETTINGS: fresh connections start from it too.
    if (advertised !== undefined && advertised !== this.#options.streams) this.#advertised = advertised;
    const wanted = Math.min(this.#options.streams, advertised ?? Infinity, this.#advertised ?? Infinity);
    // A server advertising 0 for now still gets one request per connection, not a connection per request.
    const room = Math.max(1, wanted);
    if (client.pipelining !== room) client.pipelining = room;
    return room;
  }

  #open(): Client {
    const client = new Client(this.#origin, {
      allowH2: true,
      // undici runs one request at a time unless told otherwise, even on h2.
      pipelining: Math.max(1, Math.min(this.#options.streams, this.#advertised ?? Infinity)),
      maxConcurrentStreams: this.#options.streams,
      connect: (target, callback) => this.#connect(target, callback),
    });
    client.on("connect", () => this.#drainOnGoAway(client));
    // A connection that went away with nothing on it is not kept: the next burst opens what it needs.
    client.on("disconnect", () => {
      if (client.stats.size === 0 && this.#clients.length > 1) this.#drop(client);
    });
    this.#clients.push(client);
    return client;
  }

  /**
   * undici 7 treats a graceful GOAWAY (NO_ERROR) like a broken connection and cuts every stream on
   * it (nodejs/undici#5089). Its listener is swapped for one that lets the streams the server
   * said it will finish run to their end: the client leaves the set, so no new request is sent on
   * it, and closes once what it carries is done; Node's own session closes gracefully at the same
   * GOAWAY. Any other code, or an undici whose listener is not found, keeps undici's handling.
   */
  #drainOnGoAway(client: Client): void {
    const session = http2SessionOf(client);
    const undiciListener = session
      ?.listeners("goaway")
      .find((listener) => listener.name === UNDICI_GOAWAY_LISTENER) as
      | ((this: ClientHttp2Session, code: number) => void)
      | undefined;
    if (!session || !undiciListener) return;
    session.removeListener("goaway", undiciListener);
    session.on("goaway", function (this: ClientHttp2Session, code: number) {
      if (code !== http2Constants.NGHTTP2_NO_ERROR) return undiciListener.call(this, code);
      drain();
    });
    const drain = () => {
      const index = this.#clients.indexOf(client);
      if (index === -1) return;
      this.#clients.splice(index, 1);
      this.#draining.add(client);
      void client
        .close()
        .catch(() => undefined)
        .finally(() => this.#draining.delete(client));
    };
  }

  #drop(client: Client): void {
    const index = this.#clients.indexOf(client);
    if (index !== -1) this.#clients.splice(index, 1);
    void client.close().catch(() => undefined);
  }

  #connect(target: buildConnector.Options, callback: buildConnector.Callback): void {
    const ready = this.#socket;
    this.#socket = undefined;
    if (ready && !ready.destroyed) {
      // Asynchronous like a real connect, so undici's connect bookkeeping runs in its usual order.
      queueMicrotask(() => callback(null, ready));
      return;
    }
    this.#options.connect(target, (error, socket) => {
      if (error || !socket) {
        callback(error ?? new Error("no socket"), null);
        return;
      }
      if ((socket as TLSSocket).alpnProtocol === "h2") {
        callback(null, socket);
        return;
      }
      socket.destroy();
      const withdrawn = new H2WithdrawnError(this.#origin);
      // Retire first: the client asking is destroyed, so undici's error path does not reconnect.
      this.retire(withdrawn);
      callback(withdrawn, null);
    });
  }

  /**
   * Stops taking requests: unconnected clients fail what they hold with `error`, connected ones
   * finish their streams and close. The owner is told once, before.
   */
  retire(error: H2WithdrawnError): void {
    if (this.#retired) return;
    this.#retired = true;
    // The owner first: requests failed below are sent again through it, and must not come back here.
    this.#options.onWithdrawn(error);
    for (const client of this.#clients.splice(0)) {
      if (client.stats.connected) void client.close().catch(() => undefined);
      else void client.destroy(error).catch(() => undefined);
    }
  }

  figures(): H2Figures {
    let running = 0;
    let pending = 0;
    let connected = 0;
    let free = 0;
    for (const client of this.#draining) running += client.stats.running;
    for (const client of this.#clients) {
      const stats = client.stats;
      running += stats.running;
      pending += stats.pending;
      if (!stats.connected) continue;
      connected += 1;
      if (stats.size < this.#room(client)) free += 1;
    }
    return { running, pending, connected, free };
  }

  async close(): Promise<void> {
    this.#retired = true;
    this.#socket?.destroy();
    await Promise.all(
      [...this.#clients.splice(0), ...this.#draining].map((client) => client.close().catch(() => undefined)),
    );
  }

  async destroy(): Promise<void> {
    this.#retired = true;
    this.#socket?.destroy();
    await Promise.all(
      [...this.#clients.splice(0), ...this.#draining].map((client) =>
        client.destroy().catch(() => undefined),
      ),
    );
  }
}

/** The name of undici's own GOAWAY listener (lib/dispatcher/client-h2.js). */
const UNDICI_GOAWAY_LISTENER = "onHttp2SessionGoAway";

/** undici's HTTP/2 session of a connected client: a private symbol, found by name. */
let sessionSymbol: symbol | null | undefined;

function http2SessionOf(client: Client): ClientHttp2Session | undefined {
  if (sessionSymbol === undefined)
    sessionSymbol =
      Object.getOwnPropertySymbols(client).find((symbol) => symbol.description === "http2Session") ?? null;
  if (sessionSymbol === null) return undefined;
  const session = (client as unknown as Record<symbol, unknown>)[sessionSymbol];
  return session instanceof EventEmitter ? (session as ClientHttp2Session) : undefined;
}

/** undici's record of the server's SETTINGS_MAX_CONCURRENT_STREAMS: a private symbol, found by name. */
let maxStreamsSymbol: symbol | null | undefined;

function peerStreamLimit(client: Client): number | undefined {
  if (maxStreamsSymbol === undefined)
    maxStreamsSymbol =
      Object.getOwnPropertySymbols(client).find(
        (symbol) => symbol.description === "max concurrent streams",
      ) ?? null;
  if (maxStreamsSymbol === null) return undefined;
  const value = (client as unknown as Record<symbol, unknown>)[maxStreamsSymbol];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
