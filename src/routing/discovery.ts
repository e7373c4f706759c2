/**
 * Discovery by scanning, as ai-lb does: every interval, each SCAN_HOSTS × SCAN_PORTS address that is not
 * registered yet is asked for /v1/models; one that answers with models is registered as a backend
 * named `host:port`. Addresses already registered are left to the health checker.
 * @module
 */
import { type BackendConfig, backendSchema } from "../config/schema.js";

export interface DiscoveryOptions {
  hosts: readonly string[];
  /** Ports and inclusive ranges: `8000`, `8000-8010`. */
  ports: readonly string[];
  intervalMs: number;
  timeoutMs: number;
}

export type ModelsProbe = (baseUrl: string, timeoutMs: number) => Promise<string[] | undefined>;

export interface DiscoveryTarget {
  has(id: string): boolean;
  register(id: string, backend: BackendConfig): Promise<void>;
}

/** Expands `8000-8002` into 8000, 8001, 8002; ignores what is not a port. */
export function expandPorts(specs: readonly string[]): number[] {
  const ports: number[] = [];
  for (const spec of specs) {
    const [start, end = start] = spec.split("-").map((part) => Number(part.trim()));
    if (!Number.isInteger(start) || !Number.isInteger(end)) continue;
    for (let port = start!; port <= end! && port <= 65535; port++) if (port > 0) ports.push(port);
  }
  return ports;
}

export class Discovery {
  readonly #options: DiscoveryOptions;
  readonly #probe: ModelsProbe;
  readonly #target: DiscoveryTarget;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: DiscoveryOptions, probe: ModelsProbe, target: DiscoveryTarget) {
    this.#options = options;
    this.#probe = probe;
    this.#target = target;
  }

  get enabled(): boolean {
    return this.#options.hosts.length > 0 && this.#options.ports.length > 0;
  }

  async start(): Promise<void> {
    if (!this.enabled) return;
    await this.scan();
    if (this.#options.intervalMs > 0) {
      this.#timer = setInterval(() => void this.scan(), this.#options.intervalMs);
      this.#timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async scan(): Promise<void> {
    const ports = expandPorts(this.#options.ports);
    const probes: Promise<void>[] = [];
    for (const host of this.#options.hosts) {
      for (const port of ports) {
        const hostPart = host.includes(":") ? `[${host}]` : host;
        const id = `${hostPart}:${port}`;
        if (this.#target.has(id)) continue;
        const url = `http://${hostPart}:${port}`;
        probes.push(
          this.#probe(url, this.#options.timeoutMs).then(async (models) => {
            if (!models || models.length === 0 || this.#target.has(id)) return;
            await this.#target.register(id, backendSchema.parse({ name: id, url }));
          }),
        );
      }
    }
    await Promise.all(probes);
  }
}
