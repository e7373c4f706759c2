/**
 * Which addresses the gateway may connect to as a backend. Never link-local (IPv4 `169.254.0.0/16`,
 * IPv6 `fe80::/10`), never a cloud metadata service (by address or by name), never a range the
 * operator denies (`backend_deny_ranges`), in whatever form the address is written, IPv4 carried
 * in IPv6 included. Loopback and private ranges stay allowed: local engines live there.
 *
 * The policy is applied twice: to a URL when it is registered (its literal address, or every
 * address its name resolves to then) and to every connection an upstream pool opens (through the
 * connector's `lookup`), so a name that resolves elsewhere after registration (DNS rebinding) is
 * still refused before a byte is sent.
 * @module
 */
import { promises as dns } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { buildConnector } from "undici";
import { embeddedIpv4, normaliseHost } from "./ip-address.js";

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a name resolves to, as `dns.lookup(name, { all: true })` gives them; tests stub it. */
export type ResolveAll = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolve: ResolveAll = (hostname) => dns.lookup(hostname, { all: true });

/** Names of metadata services that resolve only inside the cloud they belong to. */
const METADATA_NAMES = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
]);

const METADATA = new BlockList();
for (const address of ["169.254.169.254", "169.254.170.2", "100.100.100.200", "168.63.129.16"])
  METADATA.addAddress(address, "ipv4");
METADATA.addAddress("fd00:ec2::254", "ipv6");

const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet("169.254.0.0", 16, "ipv4");
LINK_LOCAL.addSubnet("fe80::", 10, "ipv6");

/** How long registration waits for a name to resolve; connections are checked again anyway. */
const REGISTRATION_RESOLVE_MS = 5_000;

/** Raised instead of connecting; classified as a connect failure, so the request goes elsewhere. */
export class AddressRefusedError extends Error {
  readonly code = "SWY_ERR_ADDRESS_REFUSED";
  constructor(host: string, reason: string) {
    super(`Refused to connect to ${host}: ${reason}.`);
    this.name = "AddressRefusedError";
  }
}

/** A deny range as `backend_deny_ranges` takes it: an address or `address/bits`; throws when malformed. */
export function parseDenyRange(entry: string): { base: string; bits: number; type: "ipv4" | "ipv6" } {
  const [base = "", bitsText] = entry.trim().split("/");
  const family = isIP(base);
  const max = family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > max)
    throw new Error(`'${entry}' is not an IP address or CIDR range`);
  return { base, bits, type: family === 4 ? "ipv4" : "ipv6" };
}

export class AddressPolicy {
  readonly #deny = new BlockList();
  readonly #resolve: ResolveAll;

  constructor(denyRanges: readonly string[] = [], resolve: ResolveAll = systemResolve) {
    for (const entry of denyRanges) {
      const { base, bits, type } = parseDenyRange(entry);
      this.#deny.addSubnet(base, bits, type);
    }
    this.#resolve = resolve;
  }

  /** Why an IP address may not be a backend's (`a link-local address`, …), or undefined. */
  refusalOfAddress(address: string): string | undefined {
    const text = normaliseHost(address);
    const family = isIP(text);
    if (family === 0) return undefined;
    const forms: [string, "ipv4" | "ipv6"][] = family === 4 ? [[text, "ipv4"]] : [[text, "ipv6"]];
    const carried = family === 6 ? embeddedIpv4(text) : undefined;
    if (carried) forms.push([carried, "ipv4"]);
    for (const [form, type] of forms) {
      if (METADATA.check(form, type)) return "a cloud metadata address";
      if (LINK_LOCAL.check(form, type)) return "a link-local address";
      if (this.#deny.check(form, type)) return "in backend_deny_ranges";
    }
    return undefined;
  }

  /** Why a host (a name or a literal address) may not be a backend's, without resolving it. */
  refusalOfHost(hostname: string): string | undefined {
    const host = normaliseHost(hostname);
    if (METADATA_NAMES.has(host)) return "a cloud metadata service's name";
    return this.refusalOfAddress(host);
  }

  /**
   * Why a backend URL may not be registered: its host, or any address its name resolves to now.
   * A name that does not resolve yet (or not within 5 s) passes: every connection is checked again
   * when it is made.
   */
  async refusalOfUrl(url: string): Promise<string | undefined> {
    const host = normaliseHost(new URL(url).hostname);
    const direct = this.refusalOfHost(host);
    if (direct) return `${host} is ${direct}`;
    if (isIP(host) !== 0) return undefined;
    for (const { address } of await this.#resolveWithin(host, REGISTRATION_RESOLVE_MS)) {
      const reason = this.refusalOfAddress(address);
      if (reason) return `${host} resolves to ${address}, ${reason}`;
    }
    return undefined;
  }

  /** The name's addresses, or none when it does not resolve within `limitMs` (slow or broken DNS). */
  async #resolveWithin(host: string, limitMs: number): Promise<ResolvedAddress[]> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ResolvedAddress[]>((resolve) => {
      timer = setTimeout(() => resolve([]), limitMs);
    });
    try {
      return await Promise.race([this.#resolve(host).catch(() => []), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A `lookup` for `net.connect`: resolves as usual and fails the connection when any address the
   * name has is refused (one bad answer among good ones is refused whole, as rebinding would be).
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const fail = (error: Error) => (callback as (error: Error) => void)(error);
    const byName = this.refusalOfHost(hostname);
    if (byName) return fail(new AddressRefusedError(hostname, `it is ${byName}`));
    this.#resolve(hostname).then((resolved) => {
      for (const { address } of resolved) {
        const reason = this.refusalOfAddress(address);
        if (reason) return fail(new AddressRefusedError(hostname, `it resolves to ${address}, ${reason}`));
      }
      const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
      const addresses = resolved.filter(({ family }) => wanted === 0 || family === wanted);
      const first = addresses[0];
      if (!first)
        return fail(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }));
      if (options.all) return (callback as (e: null, a: ResolvedAddress[]) => void)(null, addresses);
      return callback(null, first.address, first.family);
    }, fail);
  };

  /**
   * An undici connector that applies the policy: literal addresses before connecting (net.connect
   * skips `lookup` for them), names through `lookup` on every connection.
   */
  connector(options: buildConnector.BuildOptions): buildConnector.connector {
    const connect = buildConnector({ ...options, lookup: this.lookup } as buildConnector.BuildOptions);
    return (target, callback) => {
      const refusal = this.refusalOfHost(target.hostname);
      if (refusal) {
        callback(new AddressRefusedError(target.hostname, `it is ${refusal}`), null);
        return;
      }
      connect(target, callback);
    };
  }
}
