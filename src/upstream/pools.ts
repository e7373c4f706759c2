/**
 * One undici Pool per backend origin, kept alive across requests. Pools are created lazily and
 * closed when their backend is removed or the gateway stops. Every connection a pool opens goes
 * through the address policy, so a backend's name cannot be made to point at a refused address
 * after it was registered.
 * @module
 */
import { Pool } from "undici";
import { AddressPolicy } from "./address-policy.js";

export interface PoolOptions {
  connectTimeoutMs: number;
  /** Upper bound of sockets per backend origin; undici opens them on demand. 0: no bound. */
  connections?: number;
  /** What may be connected to; by default link-local and metadata addresses are refused. */
  policy?: AddressPolicy;
}

/** Requests on one origin's pool: waiting for a connection, sent, and the connections behind them. */
export interface PoolFigures {
  /** Requests waiting for a free connection (the pool is at `upstream_connections`). */
  queued: number;
  /** Requests sent and not yet answered in full. */
  running: number;
  connected: number;
  free: number;
}

const NO_POOL: PoolFigures = { queued: 0, running: 0, connected: 0, free: 0 };

export class UpstreamPools {
  #pools = new Map<string, Pool>();
  readonly #options: PoolOptions;
  readonly policy: AddressPolicy;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.policy = options.policy ?? new AddressPolicy();
  }

  /** The pool for a backend's origin (`http://host:port`), created on first use. */
  for(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      const connections = this.#options.connections ?? 1024;
      pool = new Pool(origin, {
        // undici reads null as "no bound".
        connections: connections === 0 ? null : connections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
        connect: this.policy.connector({ timeout: this.#options.connectTimeoutMs }),
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** How busy an origin's pool is; zeros when it has none yet. */
  figures(origin: string): PoolFigures {
    const pool = this.#pools.get(origin);
    if (!pool) return NO_POOL;
    const { queued, running, connected, free } = pool.stats;
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
