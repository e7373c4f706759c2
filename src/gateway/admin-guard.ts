/**
 * Who may use the operator routes, and which backend URLs they may register. Without an admin token,
 * admin routes work only on a gateway bound to loopback; a registered URL carries no credentials,
 * passes the address policy (upstream/address-policy.ts) and matches the allow-list when one is set.
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { BlockList, isIP } from "node:net";
import { redactUrl } from "../config/redact-url.js";
import type { AddressPolicy } from "../upstream/address-policy.js";
import { normaliseHost } from "../upstream/ip-address.js";
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

/**
 * Throws when a backend URL may not be registered: 400 when it carries a user or password (they
 * would be shown wherever the URL is; keys go in `api_keys`), 403 when the address policy refuses
 * its host or any address the host resolves to, or an allow-list is set and matches neither the
 * host name nor, for IP literals, a listed address or CIDR (`10.0.0.0/8`, `gpu-host.internal`).
 */
export async function checkRegistrableUrl(
  url: string,
  allowList: readonly string[],
  policy: AddressPolicy,
): Promise<void> {
  const parsed = new URL(url);
  if (parsed.username || parsed.password) {
    throw new GatewayError(
      "SWY_ERR_INVALID_REQUEST",
      "Invalid backend: url: a registered URL may not carry a user or password; give keys in api_keys.",
      { param: "url" },
    );
  }
  const shown = redactUrl(url);
  const refuse = (why: string) => {
    throw new GatewayError("SWY_ERR_FORBIDDEN", `Backend URL ${shown} is not allowed: ${why}.`, {
      param: "url",
    });
  };
  const refusal = await policy.refusalOfUrl(url);
  if (refusal) refuse(refusal);
  if (allowList.length === 0 || isAllowed(normaliseHost(parsed.hostname), allowList)) return;
  refuse("it is not in the registration allow-list");
}

function isAllowed(host: string, allowList: readonly string[]): boolean {
  const family = isIP(host);
  for (const entry of allowList) {
    if (!entry.includes("/")) {
      if (normaliseHost(entry) === host) return true;
      continue;
    }
    if (family === 0) continue;
    const [base, bits] = entry.split("/");
    if (isIP(base ?? "") !== family) continue;
    const list = new BlockList();
    list.addSubnet(base!, Number(bits), family === 4 ? "ipv4" : "ipv6");
    if (list.check(host, family === 4 ? "ipv4" : "ipv6")) return true;
  }
  return false;
}
