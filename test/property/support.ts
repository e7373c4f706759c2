/**
 * Shared plumbing of the property suites: run counts and the fixed seed, a timeout guard, SSE
 * re-parsing and the error-envelope checks of both protocols.
 *
 * With `CI` set every property runs a fixed number of times from a fixed seed (reproducible, and
 * cheap enough for two cores); locally each runs five times as often from a fresh seed. A failure
 * prints its seed and path: replay it with `fc.assert(…, { seed, path })`.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { expect } from "vitest";
import { validateOpenAI } from "../helpers/openapi.js";

export const CI = (process.env.CI ?? "") !== "" && process.env.CI !== "false" && process.env.CI !== "0";

/** The seed every property uses in CI. */
export const CI_SEED = 0x5317c4;

/** fast-check options: `ciRuns` runs from the fixed seed in CI, `localRuns` from a random one otherwise. */
export function runs(ciRuns: number, localRuns = ciRuns * 5): { numRuns: number; seed?: number } {
  return CI ? { numRuns: ciRuns, seed: CI_SEED } : { numRuns: localRuns };
}

/** A vitest timeout for a property whose CI run takes well under `ciMs`. */
export function timeoutFor(ciMs: number): number {
  return CI ? ciMs : ciMs * 6;
}

/** Rejects when `promise` has not settled within `ms`: a hang is a failure, not a stuck suite. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ParsedSse {
  events: EventSourceMessage[];
  /** Lines eventsource-parser could not place (unknown fields, bad `retry`). */
  errors: string[];
  /** Whatever was left after the last complete line. */
  rest: string;
}

/** Parses an event-stream body the way a client would. */
export function parseSse(text: string): ParsedSse {
  const events: EventSourceMessage[] = [];
  const errors: string[] = [];
  let rest = "";
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onError: (error) => errors.push(error.message),
  });
  parser.feed(text);
  const lastBreak = Math.max(text.lastIndexOf("\n"), text.lastIndexOf("\r"));
  rest = text.slice(lastBreak + 1);
  return { events, errors, rest };
}

/** Client-visible problems with one frame a stream converter wrote; empty when it is well formed. */
export function frameProblems(frame: unknown, options: { passThrough?: boolean } = {}): string[] {
  if (typeof frame !== "string") return [`frame is not a string: ${String(frame)}`];
  if (!frame.endsWith("\n\n")) return [`frame does not end with a blank line: ${JSON.stringify(frame)}`];
  const { events, errors, rest } = parseSse(frame);
  const problems: string[] = [];
  if (errors.length > 0) problems.push(`frame has lines a client cannot parse (${errors.join("; ")})`);
  if (rest !== "") problems.push("frame has an unterminated line");
  if (events.length !== 1) problems.push(`frame holds ${events.length} events, not 1`);
  for (const event of events) {
    // A pass-through may carry upstream data that is not JSON as it came; framing still counts.
    if (event.data === "[DONE]" || options.passThrough) continue;
    try {
      JSON.parse(event.data);
    } catch {
      problems.push(`frame data is not JSON: ${JSON.stringify(event.data).slice(0, 200)}`);
    }
  }
  return problems.map((problem) => `${problem} in ${JSON.stringify(frame).slice(0, 300)}`);
}

/** Asserts an OpenAI error envelope (the official schema, and a non-empty message). */
export function expectOpenAIError(body: unknown): void {
  validateOpenAI("ErrorResponse", body);
  const { error } = body as { error: { message: unknown } };
  expect(typeof error.message === "string" && error.message.length > 0).toBe(true);
}

const ANTHROPIC_ERROR_TYPES = [
  "invalid_request_error",
  "authentication_error",
  "billing_error",
  "permission_error",
  "not_found_error",
  "request_too_large",
  "rate_limit_error",
  "api_error",
  "timeout_error",
  "overloaded_error",
];

/** Asserts Anthropic's error envelope: `{type:"error", error:{type, message}}`, a documented type. */
export function expectAnthropicError(body: unknown): void {
  expect(body).toEqual({
    type: "error",
    error: { type: expect.any(String), message: expect.any(String) },
  });
  const { error } = body as { error: { type: string; message: string } };
  expect(ANTHROPIC_ERROR_TYPES).toContain(error.type);
  expect(error.message.length).toBeGreaterThan(0);
}

/** Parses a JSON response body, failing with the text when it is not JSON. */
export function jsonOf(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what}: the body is not JSON: ${JSON.stringify(text.slice(0, 300))}`);
  }
}
