/**
 * Fastify builds its JSON-schema compilers (ajv and fast-json-stringify, about 45 ms of CPU, a
 * tenth of a mock's start) when an app is created, whether or not any route declares a schema.
 * The gateway's and the mock's routes validate with zod and declare none, so their apps get
 * compiler factories that are never called; a route that declares a schema makes the app's start
 * fail with this message instead of loading ajv.
 * @module
 */
import type { FastifyServerOptions } from "fastify";

type SchemaController = NonNullable<FastifyServerOptions["schemaController"]>;

/** The schema controller of an app (named in the error) whose routes declare no fastify schema. */
export function noRouteSchemas(app: string): SchemaController {
  const refusal = `the ${app}'s routes declare no fastify schema: they validate with zod`;
  const refuse = (): never => {
    throw new Error(refusal);
  };
  return { compilersFactory: { buildValidator: refuse, buildSerializer: refuse } };
}
