/**
 * Fastify builds its JSON-schema compilers (ajv and fast-json-stringify, about 45 ms of CPU) when
 * an app is created, whether or not any route declares a schema. The gateway's routes validate
 * with zod and declare none, so its app gets compiler factories that are never called; a route
 * that declares a schema makes the app's start fail with this message instead of loading ajv.
 * @module
 */
import type { FastifyServerOptions } from "fastify";

const NONE = "the gateway's routes declare no fastify schema: they validate with zod";

export const NO_ROUTE_SCHEMAS: NonNullable<FastifyServerOptions["schemaController"]> = {
  compilersFactory: {
    buildValidator: () => {
      throw new Error(NONE);
    },
    buildSerializer: () => {
      throw new Error(NONE);
    },
  },
};
