/**
 * Reads the final Response object out of a Responses API answer that a backend serving the API
 * itself sent, as it goes by, so the gateway keeps it (`store: true`) exactly as it keeps a bridged
 * one: a chain then continues on any backend, not only on the engine that happens to hold it in
 * its memory. Only the terminal events are parsed; every event passes on unchanged.
 * @module
 */
import type { SseMessage } from "../protocol/translate/translator.js";
import type { JsonTransform } from "./relay.js";
import type { StreamLayer } from "./stream-stack.js";

type OnResponse = (response: Record<string, unknown>) => void;

const TERMINAL_EVENTS = new Set(["response.completed", "response.incomplete", "response.failed"]);

export class ResponseCaptureLayer implements StreamLayer {
  #onResponse: OnResponse | undefined;

  constructor(onResponse: OnResponse) {
    this.#onResponse = onResponse;
  }

  event(message: SseMessage): SseMessage[] {
    if (this.#onResponse && TERMINAL_EVENTS.has(message.event ?? "")) {
      const response = responseOf(message.data);
      if (response) {
        this.#onResponse(response);
        this.#onResponse = undefined;
      }
    }
    return [message];
  }

  end(): SseMessage[] {
    return [];
  }

  fail(): SseMessage[] {
    return [];
  }
}

/** The JSON twin: tells `onResponse` of a Response object and sends the body as it came. */
export function captureResponseJson(onResponse: OnResponse): JsonTransform {
  return (body) => {
    if (isObject(body) && body.object === "response") onResponse(body);
    return body;
  };
}

function responseOf(data: string): Record<string, unknown> | undefined {
  try {
    const event: unknown = JSON.parse(data);
    return isObject(event) && isObject(event.response) ? event.response : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
