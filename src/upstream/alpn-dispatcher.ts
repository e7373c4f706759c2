/**
 * The dispatcher of an `https:` origin that may speak HTTP/2. It learns what the origin offers with
 * ONE TLS handshake (ALPN, through the address policy's connector) while the first requests wait,
 * then sends everything over h2 connections shared by many streams (h2-clients.ts) or over an
 * HTTP/1.1 pool. A cold burst therefore opens one connection, not one per request as undici's own
 * Pool with `allowH2` would. The learning socket is not wasted: it becomes the first connection.
 *
 * When the origin stops offering h2 (a new connection negotiates http/1.1), the h2 connections are
 * retired and the next request learns again; when an origin learnt as HTTP/1.1 starts offering h2
 * (a new pool connection negotiates it), likewise. Requests caught by either change were never
 * sent, and go through relearning once more instead of failing.
 * @module
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { type buildConnector, Dispatcher } from "undici";
import { H2Clients, H2WithdrawnError } from "./h2-clients.js";

export type UpstreamProtocol = "h2" | "http/1.1";

export interface AlpnDispatcherOptions {
  /** Most concurrent streams on one h2 connection (`upstream_http2_streams`). */
  streams: number;
  /** Most h2 connections (`upstream_connections`; 0: no bound). */
  connections: number;
  /** A connector through the address policy; `allowH2` decides whether ALPN offers h2. */
  connector: (allowH2: boolean) => buildConnector.connector;
  /** The HTTP/1.1 pool for the origin, opening its connections with `connect`. */
  h1Pool: (connect: buildConnector.connector) => Dispatcher;
}

export interface AlpnFigures {
  protocol: UpstreamProtocol | undefined;
  queued: number;
  running: number;
  connected: number;
  free: number;
}

interface Waiting {
  options: Dispatcher.DispatchOptions;
  handler: Dispatcher.DispatchHandler;
}

type State =
  | { kind: "unknown" }
  | { kind: "learning"; waiting: Waiting[] }
  | { kind: "h2"; clients: H2Clients }
  | { kind: "h1"; pool: Dispatcher };

/** An origin learnt as HTTP/1.1 chose h2 on a new connection; nothing was sent on it. */
export class H2OfferedError extends Error {
  readonly code = "SWY_ERR_H2_OFFERED";
  constructor(origin: string) {
    super(`${origin} now offers HTTP/2 (ALPN chose h2); the request was not sent.`);
    this.name = "H2OfferedError";
  }
}

/** Raised to requests still waiting for the protocol when the dispatcher is closed. */
export class DispatcherClosedError extends Error {
  readonly code = "UND_ERR_CLOSED";
  constructor() {
    super("The upstream dispatcher was closed.");
    this.name = "DispatcherClosedError";
  }
}

export class AlpnDispatcher extends Dispatcher {
  readonly #origin: URL;
  readonly #options: AlpnDispatcherOptions;
  #state: State = { kind: "unknown" };
  /** Kept across relearning: an origin that went back to http/1.1 reuses its pool. */
  #pool: Dispatcher | undefined;
  /** h2 sets retired while their streams finish; closed with the dispatcher. */
  readonly #retired = new Set<H2Clients>();
  #closed = false;
  /** How many times the origin's protocol was learnt (tests watch relearning). */
  learnt = 0;

  constructor(origin: string, options: AlpnDispatcherOptions) {
    super();
    this.#origin = new URL(origin);
    this.#options = options;
  }

  get protocol(): UpstreamProtocol | undefined {
    if (this.#state.kind === "h2") return "h2";
    if (this.#state.kind === "h1") return "http/1.1";
    return undefined;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.#closed) {
      failHandler(handler, new DispatcherClosedError());
      return false;
    }
    const state = this.#state;
    switch (state.kind) {
      case "h2":
        return state.clients.dispatch(options, this.#resentOnChange(options, handler));
      case "h1":
        return state.pool.dispatch(options, this.#resentOnChange(options, handler));
      case "learning":
        state.waiting.push({ options, handler });
        return true;
      case "unknown":
        this.#learn({ options, handler });
        return true;
    }
  }

  /**
   * A request failed by `H2WithdrawnError` or `H2OfferedError` was never sent: it goes through this
   * dispatcher again (which relearns the protocol) instead of failing, once.
   */
  #resentOnChange(
    options: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): Dispatcher.DispatchHandler {
    const resend = (error: Error): boolean => {
      const changed = error instanceof H2WithdrawnError || error instanceof H2OfferedError;
      if (!changed || this.#closed || resent.has(handler)) return false;
      resent.add(handler);
      this.dispatch(options, handler);
      return true;
    };
    return interceptErrors(handler, resend);
  }

  /** Starts the one handshake that learns the protocol; `first` waits for it with those after it. */
  #learn(first: Waiting): void {
    // The connector may answer synchronously (a refused address): the list exists before it does.
    const waiting: Waiting[] = [first];
    const learning: State = { kind: "learning", waiting };
    this.#state = learning;
    const { hostname, host, port } = this.#origin;
    // undici hands connectors an IPv6 literal without its brackets; so does this.
    const bare = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
    this.#options.connector(true)({ protocol: "https:", hostname: bare, host, port }, (error, socket) => {
      if (this.#state !== learning) {
        socket?.destroy();
        return;
      }
      if (error || !socket) {
        this.#state = { kind: "unknown" };
        for (const request of waiting) failHandler(request.handler, error ?? new Error("no socket"));
        return;
      }
      this.learnt += 1;
      this.#state =
        (socket as TLSSocket).alpnProtocol === "h2"
          ? { kind: "h2", clients: this.#h2Clients(socket) }
          : { kind: "h1", pool: this.#h1Pool(socket) };
      for (const request of waiting) this.dispatch(request.options, request.handler);
    });
  }

  #h2Clients(socket: Socket): H2Clients {
    const clients: H2Clients = new H2Clients(this.#origin.origin, {
      streams: this.#options.streams,
      connections: this.#options.connections,
      connect: this.#options.connector(true),
      socket,
      onWithdrawn: () => {
        this.#retired.add(clients);
        if (this.#state.kind === "h2" && this.#state.clients === clients) this.#state = { kind: "unknown" };
      },
    });
    return clients;
  }

  #h1Pool(socket: Socket): Dispatcher {
    const connect = withFirstSocket(this.#h1Connector(), socket);
    if (this.#pool) {
      // The pool already has its connector: the learning socket is not needed.
      connect.discard();
      return this.#pool;
    }
    this.#pool = this.#options.h1Pool(connect.connector);
    return this.#pool;
  }

  /**
   * The pool's connections offer h2 too, so an origin that starts offering it is noticed on the
   * next connection: that socket is closed unused, the request is sent again through relearning,
   * and the pool keeps only the connections it has. (undici would speak h2 on a socket that
   * negotiated it even in a pool, one request per connection: never let it.)
   */
  #h1Connector(): buildConnector.connector {
    const connect = this.#options.connector(true);
    return (target, callback) =>
      connect(target, (error, socket) => {
        if (error || !socket) return callback(error ?? new Error("no socket"), null);
        if ((socket as TLSSocket).alpnProtocol !== "h2") return callback(null, socket);
        socket.destroy();
        if (this.#state.kind === "h1") this.#state = { kind: "unknown" };
        callback(new H2OfferedError(this.#origin.origin), null);
      });
  }

  figures(): AlpnFigures {
    const state = this.#state;
    const protocol = this.protocol;
    if (state.kind === "h2") {
      const { running, pending, connected, free } = state.clients.figures();
      return { protocol, queued: pending, running, connected, free };
    }
    const queued = state.kind === "learning" ? state.waiting.length : 0;
    const pool = this.#pool as (Dispatcher & { stats?: PoolStatsLike }) | undefined;
    const stats = pool?.stats;
    if (!stats) return { protocol, queued, running: 0, connected: 0, free: 0 };
    return {
      protocol,
      queued: queued + stats.queued,
      running: stats.running,
      connected: stats.connected,
      free: stats.free,
    };
  }

  /** The h2 connections in use now (tests). */
  get h2Connections(): number {
    return this.#state.kind === "h2" ? this.#state.clients.size : 0;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = this.#shut(
      (clients) => clients.close(),
      (pool) => pool.close(),
    );
    if (!callback) return done;
    void done.then(callback);
  }

  override destroy(): Promise<void>;
  override destroy(error: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null, callback: () => void): void;
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
    const callback = typeof first === "function" ? first : second;
    const done = this.#shut(
      (clients) => clients.destroy(),
      (pool) => pool.destroy(),
    );
    if (!callback) return done;
    void done.then(callback);
  }

  async #shut(
    h2: (clients: H2Clients) => Promise<void>,
    h1: (pool: Dispatcher) => Promise<void>,
  ): Promise<void> {
    this.#closed = true;
    const state = this.#state;
    this.#state = { kind: "unknown" };
    if (state.kind === "learning")
      for (const request of state.waiting) failHandler(request.handler, new DispatcherClosedError());
    const sets = [...this.#retired];
    if (state.kind === "h2") sets.push(state.clients);
    this.#retired.clear();
    await Promise.all([
      ...sets.map((clients) => h2(clients).catch(() => undefined)),
      ...(this.#pool ? [h1(this.#pool).catch(() => undefined)] : []),
    ]);
  }
}

interface PoolStatsLike {
  queued: number;
  running: number;
  connected: number;
  free: number;
}

/** A connector that hands out `socket` on its first call (if still open), then connects as usual. */
function withFirstSocket(
  connect: buildConnector.connector,
  socket: Socket,
): { connector: buildConnector.connector; discard: () => void } {
  let ready: Socket | undefined = socket;
  return {
    connector: (target, callback) => {
      const first = ready;
      ready = undefined;
      // Asynchronous like a real connect, so undici's connect bookkeeping runs in its usual order.
      if (first && !first.destroyed) queueMicrotask(() => callback(null, first));
      else connect(target, callback);
    },
    discard: () => {
      ready?.destroy();
      ready = undefined;
    },
  };
}

/** Handlers sent again after `H2WithdrawnError`: a second one fails them (the origin keeps flipping). */
const resent = new WeakSet<Dispatcher.DispatchHandler>();

/**
 * The handler as it is, except that an error `takeOver` accepts goes no further. A Proxy rather
 * than a wrapper object, so the handler keeps its own `this` and state whichever style it is.
 */
function interceptErrors(
  handler: Dispatcher.DispatchHandler,
  takeOver: (error: Error) => boolean,
): Dispatcher.DispatchHandler {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(handler, {
    get(target, property) {
      let value = bound.get(property);
      if (value !== undefined) return value;
      const own = Reflect.get(target, property, target) as unknown;
      if (typeof own !== "function") return own;
      const method = own as (...args: unknown[]) => unknown;
      if (property === "onError")
        value = (error: Error) => (takeOver(error) ? undefined : method.call(target, error));
      else if (property === "onResponseError")
        value = (controller: unknown, error: Error) =>
          takeOver(error) ? undefined : method.call(target, controller, error);
      else value = method.bind(target);
      bound.set(property, value);
      return value;
    },
  });
}

/** Fails a request that never reached a connection, in whichever handler style it was given. */
function failHandler(handler: Dispatcher.DispatchHandler, error: Error): void {
  if (typeof handler.onResponseError === "function") {
    handler.onResponseError(ABORTED, error);
    return;
  }
  handler.onError?.(error);
}

const ABORTED: Dispatcher.DispatchController = {
  aborted: true,
  paused: false,
  reason: null,
  abort: () => undefined,
  pause: () => undefined,
  resume: () => undefined,
};
