import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { registerJsonBodyParser } from "../../src/gateway/json-body.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

function echoApp(): FastifyInstance {
  const app = Fastify();
  apps.push(app);
  registerJsonBodyParser(app);
  app.post("/echo", (request) => ({ body: request.body, raw: request.rawBody?.toString("utf8") }));
  app.setErrorHandler((error, _request, reply) => {
    reply.status(400).send({ code: (error as { code?: string }).code });
  });
  return app;
}

describe("registerJsonBodyParser", () => {
  // JSON is registered by name (fastify caches that lookup) besides the catch-all: both must parse alike.
  it.each(["application/json", "application/json; charset=utf-8", "text/plain"])(
    "parses a body sent as %s and keeps its bytes",
    async (contentType) => {
      const app = echoApp();
      const payload = '{"model":"m","messages":[]}';
      for (let round = 0; round < 2; round++) {
        const response = await app.inject({
          method: "POST",
          url: "/echo",
          headers: { "content-type": contentType },
          payload,
        });
        expect(response.statusCode).toBe(200);
        expect(response.json()).toEqual({ body: { model: "m", messages: [] }, raw: payload });
      }
    },
  );

  it.each(["application/json", "text/plain"])(
    "refuses a routing field sent twice as %s",
    async (contentType) => {
      const app = echoApp();
      const response = await app.inject({
        method: "POST",
        url: "/echo",
        headers: { "content-type": contentType },
        payload: '{"model":"a","model":"b"}',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ code: "SWY_ERR_DUPLICATE_FIELD" });
    },
  );

  it("refuses a body that is not JSON as application/json", async () => {
    const app = echoApp();
    const response = await app.inject({
      method: "POST",
      url: "/echo",
      headers: { "content-type": "application/json" },
      payload: "{not json",
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ code: "SWY_ERR_INVALID_JSON" });
  });
});
