/**
 * IP address forms a backend host may take, reduced to the address a connection would reach: URL
 * spelling (brackets, trailing dots, `0xa9fea9fe`, `2852039166`) normalised by the WHATWG parser,
 * and IPv4 carried inside IPv6 (mapped, NAT64, IPv4-compatible, 6to4) unwrapped, so a deny rule
 * written for `169.254.0.0/16` also catches `[::ffff:169.254.169.254]` and `[64:ff9b::a9fe:a9fe]`.
 * @module
 */
import { isIP } from "node:net";

/** A host as it names a machine: lowercase, no brackets, no trailing dot. */
export function normaliseHost(hostname: string): string {
  return hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.+$/, "");
}

/**
 * The IPv4 address an IPv6 address carries, when it is one of the forms that reach IPv4 hosts
 * (`::ffff:a.b.c.d`, `64:ff9b::/96` and `64:ff9b:1::/48` NAT64, `::a.b.c.d`, `2002:aabb:ccdd::/48`
 * 6to4); undefined otherwise.
 */
export function embeddedIpv4(address: string): string | undefined {
  const words = ipv6Words(address);
  if (!words) return undefined;
  const zeros = (from: number, to: number) => words.slice(from, to).every((word) => word === 0);
  const tail = () => quad(words[6]!, words[7]!);
  if (zeros(0, 5) && words[5] === 0xffff) return tail();
  if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) return tail();
  if (words[0] === 0x64 && words[1] === 0xff9b && words[2] === 1) return tail();
  // `::` and `::1` are the unspecified and loopback addresses, not IPv4-compatible ones.
  if (zeros(0, 6) && (words[6] !== 0 || words[7]! > 1)) return tail();
  if (words[0] === 0x2002) return quad(words[1]!, words[2]!);
  return undefined;
}

/** The eight 16-bit words of an IPv6 address, or undefined for anything else. */
export function ipv6Words(address: string): number[] | undefined {
  const text = normaliseHost(address);
  if (isIP(text) !== 6) return undefined;
  // The URL parser rewrites a dotted tail (`::ffff:1.2.3.4`) as hex words and compresses zeros.
  const canonical = normaliseHost(new URL(`http://[${text}]/`).hostname);
  const [head, rest] = canonical.includes("::") ? canonical.split("::") : [canonical, undefined];
  const parse = (part: string | undefined) =>
    part ? part.split(":").map((word) => Number.parseInt(word, 16)) : [];
  const front = parse(head);
  const back = parse(rest);
  const fill = rest === undefined ? [] : new Array<number>(8 - front.length - back.length).fill(0);
  return [...front, ...fill, ...back];
}

function quad(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}
