/**
 * The gateway's body parser: keeps the raw bytes (forwarded untouched when the gateway does not
 * change the body) and parses them once for routing. Any content type is read as JSON, since
 * clients such as `curl -d` often send none or the wrong one.
 * @module
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { GatewayError } from "./errors.js";

declare module "fastify" {
  interface FastifyRequest {
    rawBody: Buffer | null;
  }
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  app.decorateRequest("rawBody", null);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (request: FastifyRequest, body: Buffer, done) => {
    request.rawBody = body;
    if (body.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(body.toString("utf8")));
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
    }
  });
}
