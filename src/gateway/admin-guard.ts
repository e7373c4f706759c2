/**
 * Who may use the operator routes, and which backend URLs they may register. Without an admin token,
 * admin routes work only on a gateway bound to loopback; a registered URL must not point at
 * link-local or cloud-metadata addresses, and must match the allow-list when one is set.
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { BlockList, isIP } from "node:net";
import { GatewayError } from "./errors.js";

export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** Throws 401/403 unless the request may use admin routes. */
export function checkAdminAccess(
  token: string | undefined,
  boundHost: string,
  authorization: string | undefined,
): void {
  if (!token) {
    if (isLoopbackHost(boundHost)) return;
    throw new GatewayError(
      "SWY_ERR_FORBIDDEN",
      "Admin routes are off on a gateway reachable beyond loopback without an admin token: set SWITCHYARD_ADMIN_TOKEN.",
    );
  }
  const header = authorization ?? "";
  const given = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
  // Compare digests so the comparison takes the same time whatever the lengths.
  const digest = (text: string) => createHash("sha256").update(text).digest();
  if (!timingSafeEqual(digest(given), digest(token))) {
    throw new GatewayError("SWY_ERR_UNAUTHORIZED", "This route needs 'Authorization: Bearer <admin token>'.");
  }
}

/** Link-local (IPv4 169.254/16, where cloud metadata lives, and IPv6 fe80::/10): never a backend. */
const FORBIDDEN = new BlockList();
FORBIDDEN.addSubnet("169.254.0.0", 16, "ipv4");
FORBIDDEN.addSubnet("fe80::", 10, "ipv6");

/**
 * Throws 403 when a backend URL may not be registered: its host is link-local or a metadata name, or
 * an allow-list is set and matches neither the host name nor, for IP literals, a listed address or
 * CIDR (`10.0.0.0/8`, `gpu-host.internal`).
 */
export function checkRegistrableUrl(url: string, allowList: readonly string[]): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const family = isIP(host);
  const refuse = (why: string) => {
    throw new GatewayError("SWY_ERR_FORBIDDEN", `Backend URL ${url} is not allowed: ${why}.`, {
      param: "url",
    });
  };
  if (host === "metadata.google.internal" || host === "metadata") refuse("it names a cloud metadata service");
  if (family !== 0 && FORBIDDEN.check(host, family === 4 ? "ipv4" : "ipv6"))
    refuse("it is a link-local address");
  if (allowList.length === 0) return;
  for (const entry of allowList) {
    if (!entry.includes("/")) {
      if (entry.toLowerCase() === host) return;
      continue;
    }
    if (family === 0) continue;
    const [base, bits] = entry.split("/");
    const entryFamily = isIP(base ?? "");
    if (entryFamily !== family) continue;
    const list = new BlockList();
    list.addSubnet(base!, Number(bits), family === 4 ? "ipv4" : "ipv6");
    if (list.check(host, family === 4 ? "ipv4" : "ipv6")) return;
  }
  refuse("it is not in the registration allow-list");
}
