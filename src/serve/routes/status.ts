/**
 * The routes that describe the server rather than run the model: `/v1/models`, `/health` (503
 * `loading` until the model is loaded, then 200), `/queue/status` (the Python model server's figures) and `/metrics`.
 * They never wait in the queue.
 * @module
 */
import type { FastifyInstance } from "fastify";
import type { ServeContext } from "../context.js";

export function registerStatusRoutes(app: FastifyInstance, context: ServeContext): void {
  app.get("/v1/models", async () => ({
    object: "list",
    data: [
      {
        id: context.modelName,
        object: "model",
        created: context.startedAt,
        owned_by: "switchyard",
        // vLLM's name for the context a request may use; the gateway and clients read it.
        max_model_len: context.engine?.info.contextSize ?? null,
      },
    ],
  }));

  app.get("/health", async (_request, reply) => {
    const engine = context.engine;
    if (engine === undefined) {
      reply.header("retry-after", "2");
      return reply.code(503).send({ status: "loading", model: context.modelName });
    }
    const { info } = engine;
    return {
      status: "ok",
      model: context.modelName,
      model_type: info.modelType,
      context_size: info.contextSize,
      gpu: info.gpu,
      chat_wrapper: info.chatWrapper,
      queue: context.queue.snapshot(),
    };
  });

  app.get("/queue/status", async () => ({ model: context.modelName, ...context.queue.snapshot() }));

  app.get("/metrics", async (_request, reply) => {
    const { registry } = context.metrics;
    reply.header("content-type", registry.contentType);
    return registry.metrics();
  });
}
