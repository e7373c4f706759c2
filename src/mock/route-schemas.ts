/**
 * Fastify builds its JSON-schema compilers (ajv and fast-json-stringify, about 45 ms of CPU, a
 * tenth of a mock's start) when an app is created, whether or not any route declares a schema.
 * The mock's routes declare none, so its app gets compiler factories that are never called; a
 * route that declares a schema makes the mock's start fail with this message instead.
 * @module
 */
import type { FastifyServerOptions } from "fastify";

const NONE = "the mock's routes declare no fastify schema: they validate with zod";

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
