/**
 * `POST /v1/embeddings`: one vector per input from the model's embedding context (created on first
 * use), float or base64 (the OpenAI SDK asks for base64 by default). Embeddings share the queue with
 * generations: they compete for the same CPU or GPU.
 * @module
 */
import type { FastifyInstance } from "fastify";
import { checkRequest, embeddingRequestSchema } from "../../protocol/openai/requests.js";
import type { ServeContext } from "../context.js";
import { ServeError } from "../errors.js";
import { abandon, clientGoneSignal, inSlot } from "../slot.js";

/** Inputs as a list of texts or token lists (the request's four shapes). */
function inputsOf(input: unknown): (string | readonly number[])[] {
  if (typeof input === "string") return [input];
  if (Array.isArray(input) && input.every((item) => typeof item === "number")) return [input as number[]];
  return input as (string | number[])[];
}

/** Little-endian float32 bytes in base64, as OpenAI encodes them. */
function toBase64(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}

export function registerEmbeddingsRoute(app: FastifyInstance, context: ServeContext): void {
  app.post("/v1/embeddings", async (request, reply) => {
    const signal = clientGoneSignal(reply);
    const engine = context.requireEngine();
    const check = checkRequest(embeddingRequestSchema, request.body);
    if (!check.ok)
      throw new ServeError("SWY_ERR_SERVE_INVALID_REQUEST", check.message, { param: check.param });
    context.checkModel(check.fields.model);
    const body = request.body as {
      input: unknown;
      encoding_format?: "float" | "base64";
      dimensions?: number;
    };
    const length = engine.info.embeddingLength;
    if (body.dimensions !== undefined && body.dimensions !== length) {
      throw new ServeError(
        "SWY_ERR_SERVE_UNSUPPORTED",
        `This model's embeddings have ${length} dimensions; 'dimensions' cannot change that.`,
        { param: "dimensions" },
      );
    }
    const inputs = inputsOf(body.input);
    const empty = inputs.findIndex((input) => input.length === 0);
    if (empty >= 0) {
      throw new ServeError("SWY_ERR_SERVE_INVALID_REQUEST", `Input ${empty} is empty.`, { param: "input" });
    }
    const result = await inSlot(context, "embeddings", signal, () => engine.embed(inputs, signal));
    if (result === undefined) {
      abandon(reply);
      context.metrics.requests.inc({ route: "embeddings", outcome: "cancelled" });
      return;
    }
    context.metrics.promptTokens.inc(result.promptTokens);
    context.metrics.requests.inc({ route: "embeddings", outcome: "ok" });
    const base64 = body.encoding_format === "base64";
    return reply.send({
      object: "list",
      data: result.vectors.map((vector, index) => ({
        object: "embedding",
        index,
        embedding: base64 ? toBase64(vector) : vector,
      })),
      model: context.modelName,
      usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
    });
  });
}
