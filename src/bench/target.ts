/**
 * The target URL split the way the load generator needs it: an origin for the connection pool, a
 * path prefix for the API paths, and the `host:port` label of responses that name no backend.
 * @module
 */

export interface Target {
  origin: string;
  basePath: string;
  label: string;
}

export function parseTarget(url: string): Target {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === "https:" ? "443" : "80");
  return {
    origin: parsed.origin,
    basePath: parsed.pathname.replace(/\/+$/, ""),
    label: `${parsed.hostname}:${port}`,
  };
}
