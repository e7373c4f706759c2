/**
 * serve's reasoning extensions on the external-engine path: a chat request that carries any of the
 * extension fields (`separate_thinking`, `include_channels`, `reasoning`, `developer_instructions`) is
 * checked like in-process (a 400 before it takes a slot), sent to the engine without them (as
 * `reasoning_effort` and a developer message, which engines know), and its answer is separated by the
 * shared reasoning module. A request without them goes to the engine, and back, byte for byte.
 * @module
 */
import type { ResponseSeparationOptions } from "../../reasoning/openai-response.js";
import {
  parseReasoningRequest,
  REASONING_EXTENSION_FIELDS,
  stripReasoningFields,
} from "../../reasoning/request-options.js";
import { ServeError } from "../errors.js";

/** A chat request rewritten for the engine, and how to separate the engine's answer. */
export interface SeparatedChat {
  readonly body: Buffer;
  readonly separation: ResponseSeparationOptions;
}

/** Quoted names, to skip parsing the bodies that cannot hold an extension field (most of them). */
const QUOTED_FIELDS = REASONING_EXTENSION_FIELDS.map((field) => Buffer.from(`"${field}"`));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    // Not JSON: the engine answers it with its own error.
    return undefined;
  }
}

/**
 * The engine's request and the separation for a chat body that asks for reasoning; undefined when it
 * asks for nothing (or is not a JSON object), so it is relayed as it came.
 * @throws ServeError (400) when an extension field has a wrong value.
 */
export function separatedChat(body: Buffer | undefined, modelType: string): SeparatedChat | undefined {
  if (body === undefined || !QUOTED_FIELDS.some((field) => body.includes(field))) return undefined;
  const fields = parseObject(body);
  if (fields === undefined || !REASONING_EXTENSION_FIELDS.some((field) => field in fields)) return undefined;
  const parsed = parseReasoningRequest(fields);
  if (!parsed.ok) {
    throw new ServeError("SWY_ERR_SERVE_INVALID_REQUEST", parsed.error.message, {
      param: parsed.error.param,
    });
  }
  const { request } = parsed;
  return {
    body: Buffer.from(JSON.stringify(stripReasoningFields(fields))),
    separation: {
      modelType,
      separateThinking: request.separateThinking,
      includeChannels: request.includeChannels,
      reasoningLevel: request.effort,
    },
  };
}
