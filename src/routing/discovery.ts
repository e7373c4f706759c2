/**
 * Discovery by scanning, as ai-lb does: every interval, each SCAN_HOSTS × SCAN_PORTS address that is not
 * registered yet is asked for /v1/models; one that answers with models is registered as a backend
 * named `host:port`. Addresses already registered are left to the health checker.
 *
 * A scanned address passes the same address policy as a registered URL before anything is sent to
 * it: a scan of `169.254.169.254` (or of a name resolving there) must neither ask the metadata
 * service for `/v1/models` nor make it a backend. The probe's own connection goes through the
 * policy's connector too, so a name that changes its answer between check and probe is caught.
 * @module
 */
import { type BackendConfig, backendSchema } from "../config/schema.js";
import type { AddressPolicy } from "../upstream/address-policy.js";

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
  /** The policy refused a scanned address; told once per address, for the log. */
  refused(id: string, reason: string): void;
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
  readonly #policy: Pick<AddressPolicy, "refusalOfUrl">;
  /** Addresses already reported as refused: a refusal is logged once, not every scan. */
  readonly #reported = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    options: DiscoveryOptions,
    probe: ModelsProbe,
    target: DiscoveryTarget,
    policy: Pick<AddressPolicy, "refusalOfUrl">,
  ) {
    this.#options = options;
    this.#probe = probe;
    this.#target = target;
    this.#policy = policy;
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
        probes.push(this.#probeOne(id, `http://${hostPart}:${port}`));
      }
    }
    await Promise.all(probes);
  }

  async #probeOne(id: string, url: string): Promise<void> {
    const refusal = await this.#policy.refusalOfUrl(url);
    if (refusal) {
      if (!this.#reported.has(id)) this.#target.refused(id, refusal);
      this.#reported.add(id);
      return;
    }
    const models = await this.#probe(url, this.#options.timeoutMs);
    if (!models || models.length === 0 || this.#target.has(id)) return;
    await this.#target.register(id, backendSchema.parse({ name: id, url }));
  }
}
