/**
 * The gateway's body parser: keeps the raw bytes (forwarded untouched when the gateway does not
 * change the body) and parses them once for routing. Any content type is read as JSON, since
 * clients such as `curl -d` often send none or the wrong one. A routing field sent twice is refused
 * (duplicate-keys.ts): the gateway and a backend could read different values.
 * @module
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { duplicateRoutingField } from "./duplicate-keys.js";
import { GatewayError } from "./errors.js";

declare module "fastify" {
  interface FastifyRequest {
    rawBody: Buffer | null;
  }
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  app.decorateRequest("rawBody", null);
  app.removeAllContentTypeParsers();
  // The same parser for JSON by name too: fastify caches the parser it found for a Content-Type,
  // but not the catch-all, so with "*" alone every request's header was parsed anew (a
  // ContentType object and its regular expressions, ~1.5 % of the gateway's CPU per request).
  app.addContentTypeParser("*", { parseAs: "buffer" }, parseJsonBody);
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, parseJsonBody);
}

function parseJsonBody(
  request: FastifyRequest,
  body: Buffer,
  done: (error: Error | null, body?: unknown) => void,
): void {
  request.rawBody = body;
  if (body.length === 0) {
    done(null, undefined);
    return;
  }
  const text = body.toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    done(
      new GatewayError(
        "SWY_ERR_INVALID_JSON",
        `The request body is not valid JSON: ${(error as Error).message}`,
        {
          cause: error,
        },
      ),
      undefined,
    );
    return;
  }
  const duplicate = isObject(parsed) ? duplicateRoutingField(text, parsed) : undefined;
  if (duplicate === undefined) {
    done(null, parsed);
    return;
  }
  done(
    new GatewayError(
      "SWY_ERR_DUPLICATE_FIELD",
      `The request body has the field '${duplicate}' more than once; send it once.`,
      { param: duplicate },
    ),
    undefined,
  );
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
