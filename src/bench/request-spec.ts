/**
 * Building requests for the load generator: `jsonRequest` for callers, and `prepare`, which turns a
 * spec into what undici's dispatch takes (body as a Buffer, content-length set) once per spec.
 * @module
 */
import type { Dispatcher } from "undici";
import type { RequestSpec } from "./load-types.js";

/** A JSON POST request (the body is serialised once). */
export function jsonRequest(path: string, payload: unknown, stream = false): RequestSpec {
  return {
    method: "POST",
    path,
    headers: {
      "content-type": "application/json",
      accept: stream ? "text/event-stream" : "application/json",
    },
    body: JSON.stringify(payload),
    stream,
  };
}

/** A request ready for `Dispatcher.dispatch`. */
export interface PreparedRequest {
  method: Dispatcher.HttpMethod;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  stream: boolean;
}

export function prepare(spec: RequestSpec): PreparedRequest {
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  const headers: Record<string, string> = { ...spec.headers };
  if (body && !Object.keys(headers).some((name) => name.toLowerCase() === "content-length"))
    headers["content-length"] = String(body.length);
  return {
    method: spec.method as Dispatcher.HttpMethod,
    path: spec.path,
    headers,
    body,
    stream: spec.stream === true,
  };
}
