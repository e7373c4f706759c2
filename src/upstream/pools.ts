/**
 * One undici Pool per backend origin, kept alive across requests. Pools are created lazily and
 * closed when their backend is removed or the gateway stops.
 * @module
 */
import { Pool } from "undici";

export interface PoolOptions {
  connectTimeoutMs: number;
  /** Upper bound of sockets per backend; undici opens them on demand. */
  connections?: number;
}

export class UpstreamPools {
  #pools = new Map<string, Pool>();
  readonly #options: PoolOptions;

  constructor(options: PoolOptions) {
    this.#options = options;
  }

  /** The pool for a backend's origin (`http://host:port`), created on first use. */
  for(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.#options.connections ?? 1024,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
        connect: { timeout: this.#options.connectTimeoutMs },
      });
      this.#pools.set(origin, pool);
    }
    return pool;
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
