/**
 * One dispatcher per backend origin, kept alive across requests, created lazily and closed when
 * its backend is removed or the gateway stops. `http:` origins get an HTTP/1.1 pool; `https:`
 * origins (hosted APIs) an `AlpnDispatcher` that speaks HTTP/2 where the origin offers it, so
 * thousands of concurrent streams share a few connections. Every connection either opens goes
 * through the address policy, so a backend's name cannot be made to point at a refused address
 * after it was registered.
 * @module
 */
import { type buildConnector, type Dispatcher, Pool } from "undici";
import { AddressPolicy } from "./address-policy.js";
import { AlpnDispatcher, type UpstreamProtocol } from "./alpn-dispatcher.js";

export interface PoolOptions {
  connectTimeoutMs: number;
  /** Upper bound of sockets per backend origin (h1 or h2); undici opens them on demand. 0: no bound. */
  connections?: number;
  /** Speak HTTP/2 to `https:` origins that offer it (`upstream_http2`); default true. */
  http2?: boolean;
  /** Most concurrent streams on one HTTP/2 connection (`upstream_http2_streams`); default 100. */
  http2Streams?: number;
  /** What may be connected to; by default link-local and metadata addresses are refused. */
  policy?: AddressPolicy;
  /** Extra TLS options for upstream connections (tests pass `ca` to trust their own certificate). */
  tls?: { ca?: string | Buffer };
}

/** Requests on one origin's connections: waiting for one, sent, and the connections behind them. */
export interface PoolFigures {
  /** Requests waiting for a connection (at `upstream_connections`, or while one is being opened). */
  queued: number;
  /** Requests sent and not yet answered in full. */
  running: number;
  connected: number;
  /** Connections with room for another request (an idle h1 socket, an h2 one below its streams). */
  free: number;
  /** What the origin negotiated, once known (`https:` origins only). */
  protocol?: UpstreamProtocol;
}

const NO_POOL: PoolFigures = { queued: 0, running: 0, connected: 0, free: 0 };

export class UpstreamPools {
  #pools = new Map<string, Dispatcher>();
  readonly #options: PoolOptions;
  readonly policy: AddressPolicy;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.policy = options.policy ?? new AddressPolicy();
  }

  /** The dispatcher for a backend's origin (`http://host:port`), created on first use. */
  for(origin: string): Dispatcher {
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = this.#create(origin);
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  #create(origin: string): Dispatcher {
    const http2 = this.#options.http2 ?? true;
    if (!http2 || !origin.startsWith("https:")) return this.#h1Pool(origin, this.#connector(false));
    return new AlpnDispatcher(origin, {
      streams: this.#options.http2Streams ?? 100,
      connections: this.#options.connections ?? 1024,
      connector: (allowH2) => this.#connector(allowH2),
      h1Pool: (connect) => this.#h1Pool(origin, connect),
    });
  }

  #connector(allowH2: boolean): buildConnector.connector {
    return this.policy.connector({
      timeout: this.#options.connectTimeoutMs,
      allowH2,
      ...this.#options.tls,
    });
  }

  #h1Pool(origin: string, connect: buildConnector.connector): Pool {
    const connections = this.#options.connections ?? 1024;
    return new Pool(origin, {
      // undici reads null as "no bound".
      connections: connections === 0 ? null : connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connect,
    });
  }

  /** How busy an origin's connections are; zeros when it has none yet. */
  figures(origin: string): PoolFigures {
    const pool = this.#pools.get(origin);
    if (!pool) return NO_POOL;
    if (pool instanceof AlpnDispatcher) {
      const { protocol, ...figures } = pool.figures();
      return protocol ? { ...figures, protocol } : figures;
    }
    const { queued, running, connected, free } = (pool as Pool).stats;
    return { queued, running, connected, free };
  }

  async release(origin: string): Promise<void> {
    const pool = this.#pools.get(origin);
    if (!pool) return;
    this.#pools.delete(origin);
    await pool.close().catch(() => pool.destroy());
  }

  async closeAll(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy()));
  }
}
