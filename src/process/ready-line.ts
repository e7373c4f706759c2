/**
 * The READY line: the one stdout line every switchyard server prints once it answers requests.
 * The cluster launcher and the tests read it to learn where a child listens (children bind port 0).
 *
 *   READY backend=<id> url=http://127.0.0.1:41234
 *   READY gateway url=http://127.0.0.1:8080
 * @module
 */

export interface ReadyLine {
  role: "backend" | "gateway";
  id: string;
  url: string;
}

export function formatReadyLine(role: ReadyLine["role"], id: string, url: string): string {
  return role === "gateway" ? `READY gateway url=${url}` : `READY backend=${id} url=${url}`;
}

const READY_PATTERN = /^READY (?:backend=(\S+)|(gateway)) url=(\S+)\s*$/;

export function parseReadyLine(line: string): ReadyLine | undefined {
  const match = READY_PATTERN.exec(line);
  if (!match) return undefined;
  const [, backendId, gateway, url] = match;
  if (gateway) return { role: "gateway", id: "gateway", url: url! };
  return { role: "backend", id: backendId!, url: url! };
}

/** The URL a client uses for a server bound to `host` (a wildcard bind is reached on loopback). */
export function clientUrl(host: string, port: number): string {
  const reachable = host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host;
  return reachable.includes(":") ? `http://[${reachable}]:${port}` : `http://${reachable}:${port}`;
}
