import { describe, expect, it } from "vitest";
import {
  type AttemptFailure,
  isRetryable,
  isRetryableStatus,
  MAX_RETRY_AFTER_MS,
  refusalOf,
  retryAfterOf,
  retryAfterSeconds,
} from "../../src/gateway/retry-policy.js";

const status = (code: number, retryAfterMs?: number): AttemptFailure => ({
  kind: "status",
  backend: "b",
  status: code,
  retryAfterMs,
  cause: `HTTP ${code}`,
});

describe("isRetryableStatus", () => {
  it.each([
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [200, false],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [413, false],
    [422, false],
  ])("%i → %s", (code, retryable) => {
    expect(isRetryableStatus(code)).toBe(retryable);
  });
});

describe("isRetryable", () => {
  it.each<[AttemptFailure, boolean]>([
    [{ kind: "connect", backend: "b", cause: "ECONNREFUSED" }, true],
    [{ kind: "timeout", backend: "b", cause: "no response" }, true],
    [{ kind: "error", backend: "b", cause: "odd" }, true],
    [{ kind: "keys", backend: "b", cause: "every key refused" }, true],
    [status(408), true],
    [status(503), true],
    [status(400), false],
  ])("%j → %s", (failure, retryable) => {
    expect(isRetryable(failure)).toBe(retryable);
  });
});

describe("retryAfterOf", () => {
  it.each<[Record<string, string>, number | undefined]>([
    [{}, undefined],
    [{ "retry-after": "7" }, 7_000],
    [{ "retry-after": "0" }, 0],
    [{ "retry-after-ms": "250" }, 250],
    [{ "retry-after": "86400" }, MAX_RETRY_AFTER_MS],
    [{ "retry-after": "soon" }, undefined],
  ])("%j → %s", (headers, ms) => {
    expect(retryAfterOf(headers)).toBe(ms);
  });

  it("reads an HTTP date as the time until it", () => {
    const ms = retryAfterOf({ "retry-after": new Date(Date.now() + 30_000).toUTCString() });
    expect(ms).toBeGreaterThan(25_000);
    expect(ms).toBeLessThanOrEqual(30_000);
  });
});

describe("refusalOf", () => {
  it.each<[string, AttemptFailure[], ReturnType<typeof refusalOf>]>([
    ["no failures", [], undefined],
    ["every backend 429", [status(429, 5_000), status(429, 2_000)], { status: 429, retryAfterMs: 2_000 }],
    ["429 and 503", [status(429), status(503, 9_000)], { status: 503, retryAfterMs: 9_000 }],
    ["no Retry-After given", [status(429)], { status: 429, retryAfterMs: undefined }],
    ["a 500 among them", [status(429), status(500)], undefined],
    ["a connect error among them", [status(503), { kind: "connect", backend: "b", cause: "x" }], undefined],
  ])("%s", (_name, failures, refusal) => {
    expect(refusalOf(failures)).toEqual(refusal);
  });
});

describe("retryAfterSeconds", () => {
  it.each<[number | undefined, string]>([
    [undefined, "1"],
    [0, "1"],
    [1_500, "2"],
    [7_000, "7"],
    [10 * MAX_RETRY_AFTER_MS, "3600"],
  ])("%s ms → %s", (ms, header) => {
    expect(retryAfterSeconds(ms)).toBe(header);
  });
});
