/**
 * Shared by the Responses translator tests: a deterministic stand-in for the reasoning sealer (so
 * golden outputs are byte-stable), translator options built on `fixedOptions`, and checks that a
 * Responses event stream is well-formed: every event valid against the OpenAPI `ResponseStreamEvent`
 * schema, named after its `type`, numbered 0, 1, 2… in order, ended by exactly one final event, and
 * every item it added done once and present, in order, in the final `Response`.
 */
import { expect } from "vitest";
import type { ReasoningSealer, SealedReasoning } from "../../../src/protocol/responses/sealed-reasoning.js";
import type { ResponsesResponse } from "../../../src/protocol/responses/types.js";
import type { ResponsesTranslatorOptions } from "../../../src/protocol/translate/responses-to-chat.js";
import { validateOpenAI } from "../../helpers/openapi.js";
import { fixedOptions, parseSse } from "./helpers.js";

const STUB_PREFIX = "sealed.";

/** Seals as readable base64url JSON; opens only its own prefix. Never use outside tests. */
export const stubSealer: ReasoningSealer = {
  seal(value: SealedReasoning): string {
    return STUB_PREFIX + Buffer.from(JSON.stringify(value)).toString("base64url");
  },
  unseal(text: string): SealedReasoning | undefined {
    if (!text.startsWith(STUB_PREFIX)) return undefined;
    try {
      return JSON.parse(
        Buffer.from(text.slice(STUB_PREFIX.length), "base64url").toString(),
      ) as SealedReasoning;
    } catch {
      return undefined;
    }
  },
};

/** Fixed clock and ids, the stub sealer, and whatever the test adds. */
export function responsesOptions(extra: ResponsesTranslatorOptions = {}): ResponsesTranslatorOptions {
  return { ...fixedOptions(), sealer: stubSealer, ...extra };
}

export interface ResponsesEvent {
  readonly type: string;
  readonly sequence_number: number;
  readonly [key: string]: unknown;
}

/** The events of a Responses stream, each checked against the schema and its frame's name. */
export function responsesEvents(sse: string): ResponsesEvent[] {
  return parseSse([sse]).map((message, i) => {
    const event = JSON.parse(message.data) as ResponsesEvent;
    expect(message.event, `event ${i} is named after its type`).toBe(event.type);
    validateOpenAI("ResponseStreamEvent", event);
    return event;
  });
}

const FINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);

/** Checks the stream's grammar and returns the `Response` of its final event. */
export function finalResponse(sse: string): ResponsesResponse {
  const events = responsesEvents(sse);
  expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, i) => i));
  const finals = events.filter((event) => FINAL.has(event.type));
  expect(finals).toHaveLength(1);
  expect(events.at(-1)).toBe(finals[0]);
  if (events[0]?.type !== "response.failed") {
    expect(events.slice(0, 2).map((event) => event.type)).toEqual([
      "response.created",
      "response.in_progress",
    ]);
  }
  const response = (finals[0] as unknown as { response: ResponsesResponse }).response;
  expectItemsAccounted(events, response);
  return response;
}

/** Every item added is done once (unless the response failed first) and is in the final output, in order. */
function expectItemsAccounted(events: readonly ResponsesEvent[], response: ResponsesResponse): void {
  const ids = (type: string) =>
    events
      .filter((event) => event.type === type)
      .map((event) => (event as unknown as { item: { id: string } }).item.id);
  const added = ids("response.output_item.added");
  expect(response.output.map((item) => item.id)).toEqual(added);
  if (response.status !== "failed")
    expect(ids("response.output_item.done")).toEqual(expect.arrayContaining(added));
  expect(new Set(ids("response.output_item.done")).size).toBe(ids("response.output_item.done").length);
}
