/**
 * Answering a generation from the engine simulator (`--engine-sim`): the request joins the
 * simulated engine's queue, and its reply goes out as the scheduler generates it. A stream writes
 * its head and first token at the first token, one frame per later token, and its tail at the
 * last; a JSON reply is sent whole when the last token is out. A client that leaves is aborted in
 * the engine, freeing its place in the batch and its KV blocks, as vLLM aborts it. A drop cuts the
 * connection after the first token (streams) or instead of the reply (JSON).
 * @module
 */
import type { FastifyReply } from "fastify";
import { SSE_HEADERS } from "../protocol/sse.js";
import { cutAfter, isClosed } from "./delivery.js";
import type { EngineSim } from "./engine-sim/engine.js";
import type { StreamFrames } from "./stream-frames.js";

/** A route's built reply (inference.ts's `Delivery`, which this file must not import: inference imports it). */
export interface EngineReply {
  readonly json?: unknown;
  readonly stream?: StreamFrames | undefined;
  readonly outputTokens?: number | undefined;
}

export interface EngineJob {
  prompt: string;
  delivery: EngineReply;
  drop: boolean;
}

/** Tokens the engine generates for a delivery: what the route planned, at least one. */
export function outputTokensOf(delivery: EngineReply): number {
  return Math.max(1, delivery.outputTokens ?? delivery.stream?.tokens.length ?? 1);
}

/** Runs the job on the engine; resolves once the reply is finished, cut, or the client left. */
export function deliverFromEngine(engine: EngineSim, reply: FastifyReply, job: EngineJob): Promise<void> {
  const response = reply.raw;
  return new Promise((resolve) => {
    if (isClosed(response)) {
      reply.hijack();
      resolve();
      return;
    }
    const stream = job.delivery.stream;
    let written = 0;
    let cut = false;
    if (stream) {
      reply.hijack();
      response.writeHead(200, SSE_HEADERS);
      response.flushHeaders();
    }
    const sequence = engine.submit(
      { prompt: job.prompt, outputTokens: outputTokensOf(job.delivery) },
      {
        onToken(index) {
          if (!stream) return;
          if (job.drop) {
            cut = true;
            engine.cancel(sequence);
            cutAfter(response, stream.head + (stream.tokens[0] ?? ""));
            return;
          }
          written = writeFramesThrough(response, stream, written, index);
        },
        onFinish() {
          response.off("close", onClose);
          if (cut) {
            // Cut at the first token: nothing more to write.
          } else if (stream) {
            response.end(framesFrom(stream, written) + stream.tail);
          } else if (job.drop) {
            reply.hijack();
            cutAfter(response, "");
          } else {
            reply.send(job.delivery.json);
          }
          resolve();
        },
      },
    );
    const onClose = () => {
      engine.cancel(sequence);
      resolve();
    };
    response.once("close", onClose);
  });
}

/** Writes the frames up to token `index` not yet written (the head goes with the first); returns how many are written. */
function writeFramesThrough(
  response: FastifyReply["raw"],
  frames: StreamFrames,
  written: number,
  index: number,
): number {
  const through = Math.min(index + 1, frames.tokens.length);
  if (through <= written) return written;
  const head = written === 0 ? frames.head : "";
  response.write(head + frames.tokens.slice(written, through).join(""));
  return through;
}

function framesFrom(frames: StreamFrames, written: number): string {
  return (written === 0 ? frames.head : "") + frames.tokens.slice(written).join("");
}
