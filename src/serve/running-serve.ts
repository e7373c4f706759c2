/**
 * A started `switchyard serve`, whichever engine runs behind it (in-process llama.cpp or a
 * supervised external engine); its own file so both starters name it without importing each other.
 * @module
 */
import type { FastifyInstance } from "fastify";
import type { ServeContext } from "./context.js";

export interface RunningServe {
  /** Where clients reach it, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** The model id clients send. */
  readonly modelName: string;
  /** The GGUF file being served. */
  readonly modelFile: string;
  readonly app: FastifyInstance;
  readonly context: ServeContext;
  /** Resolves once the model is loaded and served; rejects (after closing) when loading fails. */
  readonly ready: Promise<void>;
  /** Stops listening, ends open requests, waits for running generations to stop, frees the model. */
  close(): Promise<void>;
}
