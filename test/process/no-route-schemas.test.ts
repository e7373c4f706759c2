/** The gateway's and the mock's apps load no JSON-schema compiler; a route that declares a schema says why it cannot. */
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { noRouteSchemas } from "../../src/process/no-route-schemas.js";

describe.each(["gateway", "mock"])("the %s's noRouteSchemas", (name) => {
  const schemaController = noRouteSchemas(name);
  it("serves routes without a schema", async () => {
    const app = Fastify({ schemaController });
    app.post("/echo", async (request) => ({ got: request.body }));
    const response = await app.inject({ method: "POST", url: "/echo", payload: { a: 1 } });
    expect(response.json()).toEqual({ got: { a: 1 } });
    await app.close();
  });

  it("fails the start of an app whose route declares a schema, saying why", async () => {
    const app = Fastify({ schemaController });
    app.post("/typed", { schema: { body: { type: "object" } } }, async () => ({}));
    await expect(app.ready()).rejects.toThrow(`the ${name}'s routes declare no fastify schema`);
    await app.close();
  });
});
