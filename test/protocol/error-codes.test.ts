/**
 * The error table: every code's status, client code and types, pinned here so a change to the wire
 * is a deliberate edit in two places, and the bodies gateway and serve build from it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorBody, toGatewayError } from "../../src/gateway/error-reply.js";
import { GatewayError } from "../../src/gateway/errors.js";
import { anthropicErrorType } from "../../src/protocol/anthropic/errors.js";
import { ERROR_TABLE, type ErrorCode } from "../../src/protocol/error-codes.js";
import { openAIErrorType } from "../../src/protocol/openai/errors.js";
import { ServeError, toServeError } from "../../src/serve/errors.js";

/** Status and OpenAI `error.code` of every code, as clients have seen them. */
const EXPECTED: Record<ErrorCode, readonly [number, string]> = {
  SWY_ERR_INVALID_JSON: [400, "invalid_json"],
  SWY_ERR_INVALID_REQUEST: [400, "invalid_request"],
  SWY_ERR_ROUTE_NOT_FOUND: [404, "route_not_found"],
  SWY_ERR_METHOD_NOT_ALLOWED: [405, "method_not_allowed"],
  SWY_ERR_MODEL_NOT_FOUND: [404, "model_not_found"],
  SWY_ERR_NODE_NOT_FOUND: [404, "node_not_found"],
  SWY_ERR_UNAUTHORIZED: [401, "invalid_admin_token"],
  SWY_ERR_FORBIDDEN: [403, "forbidden"],
  SWY_ERR_CLIENT_KEY_MISSING: [401, "missing_api_key"],
  SWY_ERR_CLIENT_KEY_INVALID: [401, "invalid_api_key"],
  SWY_ERR_CLIENT_KEY_EXPIRED: [401, "expired_api_key"],
  SWY_ERR_BUDGET_EXCEEDED: [429, "budget_exceeded"],
  SWY_ERR_KEY_NOT_FOUND: [404, "key_not_found"],
  SWY_ERR_KEY_STORE_UNAVAILABLE: [503, "key_store_unavailable"],
  SWY_ERR_MODEL_FORBIDDEN: [403, "model_not_allowed"],
  SWY_ERR_RATE_LIMITED: [429, "rate_limit_exceeded"],
  SWY_ERR_CAPACITY: [429, "capacity_exceeded"],
  SWY_ERR_SLO_SHED: [429, "slo_shed"],
  SWY_ERR_KV_SHED: [429, "kv_shed"],
  SWY_ERR_BACKEND_NOT_FOUND: [404, "backend_not_found"],
  SWY_ERR_BODY_TOO_LARGE: [413, "request_too_large"],
  SWY_ERR_TOO_MANY_MESSAGES: [400, "array_above_max_length"],
  SWY_ERR_DUPLICATE_FIELD: [400, "duplicate_field"],
  SWY_ERR_URL_TOO_LONG: [414, "url_too_long"],
  SWY_ERR_HEADERS_TOO_LARGE: [431, "request_headers_too_large"],
  SWY_ERR_MALFORMED_HTTP: [400, "malformed_http_request"],
  SWY_ERR_CLIENT_TIMEOUT: [408, "request_timeout"],
  SWY_ERR_UNSUPPORTED_MEDIA_TYPE: [415, "unsupported_media_type"],
  SWY_ERR_RESPONSE_NOT_FOUND: [404, "response_not_found"],
  SWY_ERR_PREVIOUS_RESPONSE_NOT_FOUND: [404, "previous_response_not_found"],
  SWY_ERR_RESPONSE_STORE_UNAVAILABLE: [503, "response_store_unavailable"],
  SWY_ERR_LEDGER_OFF: [404, "ledger_off"],
  SWY_ERR_LEDGER_UNAVAILABLE: [503, "ledger_unavailable"],
  SWY_ERR_UPSTREAM_FAILED: [502, "upstream_failed"],
  SWY_ERR_NO_HEALTHY_BACKEND: [503, "no_healthy_backend"],
  SWY_ERR_UPSTREAM_TIMEOUT: [504, "upstream_timeout"],
  SWY_ERR_INVALID_CONFIG: [422, "invalid_config"],
  SWY_ERR_RELOAD_REFUSED: [409, "reload_refused"],
  SWY_ERR_INTERNAL: [500, "internal_error"],
  SWY_ERR_SERVE_INVALID_JSON: [400, "invalid_json"],
  SWY_ERR_SERVE_INVALID_REQUEST: [400, "invalid_request"],
  SWY_ERR_SERVE_CONTEXT_LENGTH: [400, "context_length_exceeded"],
  SWY_ERR_SERVE_UNSUPPORTED: [400, "unsupported_parameter"],
  SWY_ERR_SERVE_MODEL_NOT_FOUND: [404, "model_not_found"],
  SWY_ERR_SERVE_ROUTE_NOT_FOUND: [404, "unknown_url"],
  SWY_ERR_SERVE_BODY_TOO_LARGE: [413, "request_too_large"],
  SWY_ERR_SERVE_UNSUPPORTED_MEDIA_TYPE: [415, "unsupported_media_type"],
  SWY_ERR_SERVE_QUEUE_FULL: [429, "queue_full"],
  SWY_ERR_SERVE_INVALID_OUTPUT: [500, "invalid_model_output"],
  SWY_ERR_SERVE_INTERNAL: [500, "internal_error"],
  SWY_ERR_SERVE_LOADING: [503, "model_loading"],
};

const CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

describe("the error table", () => {
  it("has exactly the pinned codes", () => {
    expect(CODES.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(CODES)("%s keeps its status, client code and types", (code) => {
    const entry = ERROR_TABLE[code];
    const [status, clientCode] = EXPECTED[code];
    expect(entry.status).toBe(status);
    expect(entry.code).toBe(clientCode);
    // Before the table, types came from the status; the table must agree so no body changes.
    expect(entry.openai).toBe(openAIErrorType(status));
    expect(entry.anthropic).toBe(anthropicErrorType(status));
    expect(entry.message.length).toBeGreaterThan(0);
  });

  it("gives each client code one status within a process", () => {
    // A client code that meant two statuses would make `code` ambiguous to clients.
    for (const prefix of [/^SWY_ERR_(?!SERVE_)/, /^SWY_ERR_SERVE_/]) {
      const seen = new Map<string, number>();
      for (const code of CODES.filter((c) => prefix.test(c))) {
        const { code: clientCode, status } = ERROR_TABLE[code];
        expect(seen.get(clientCode) ?? status, `${code} (${clientCode})`).toBe(status);
        seen.set(clientCode, status);
      }
    }
  });

  it("names each gateway client code once", () => {
    const gateway = CODES.filter((c) => !c.startsWith("SWY_ERR_SERVE_")).map((c) => ERROR_TABLE[c].code);
    const serve = CODES.filter((c) => c.startsWith("SWY_ERR_SERVE_")).map((c) => ERROR_TABLE[c].code);
    expect(new Set(gateway).size).toBe(gateway.length);
    expect(new Set(serve).size).toBe(serve.length);
  });
});

describe("gateway error bodies", () => {
  it("answers OpenAI clients with the table's type and code, and the field at fault", () => {
    const error = new GatewayError("SWY_ERR_MODEL_NOT_FOUND", "The model 'x' does not exist.", {
      param: "model",
    });
    expect(JSON.stringify(errorBody("openai", error))).toBe(
      '{"error":{"message":"The model \'x\' does not exist.","type":"invalid_request_error","param":"model","code":"model_not_found"}}',
    );
  });

  it("answers Anthropic clients with the table's type", () => {
    const error = new GatewayError("SWY_ERR_NO_HEALTHY_BACKEND", "none healthy");
    expect(error.status).toBe(503);
    expect(JSON.stringify(errorBody("anthropic", error))).toBe(
      '{"type":"error","error":{"type":"overloaded_error","message":"none healthy"}}',
    );
  });

  it("falls back to the table's message and maps anything else to SWY_ERR_INTERNAL", () => {
    expect(new GatewayError("SWY_ERR_CAPACITY").message).toBe(ERROR_TABLE.SWY_ERR_CAPACITY.message);
    const internal = toGatewayError(new Error("boom"));
    expect(internal.code).toBe("SWY_ERR_INTERNAL");
    expect(internal.message).toBe("The gateway hit an unexpected error.");
    expect(toGatewayError(Object.assign(new Error("big"), { code: "FST_ERR_CTP_BODY_TOO_LARGE" })).code).toBe(
      "SWY_ERR_BODY_TOO_LARGE",
    );
  });
});

describe("serve error bodies", () => {
  it("are OpenAI's envelope with the table's type and code", () => {
    const error = new ServeError("SWY_ERR_SERVE_QUEUE_FULL", "queue full", { retryAfterSeconds: 2 });
    expect(error.status).toBe(429);
    expect(JSON.stringify(error.body())).toBe(
      '{"error":{"message":"queue full","type":"rate_limit_error","param":null,"code":"queue_full"}}',
    );
  });

  it("maps anything else to SWY_ERR_SERVE_INTERNAL with its own message", () => {
    const internal = toServeError(new Error("boom"));
    expect(internal.code).toBe("SWY_ERR_SERVE_INTERNAL");
    expect(internal.body().error).toEqual({
      message: "The model server hit an unexpected error.",
      type: "server_error",
      param: null,
      code: "internal_error",
    });
  });
});

describe("README", () => {
  it("lists every gateway client code in its Errors table", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("### Errors"), readme.indexOf("## The mock backend"));
    const missing = CODES.filter((c) => !c.startsWith("SWY_ERR_SERVE_"))
      .map((c) => ERROR_TABLE[c].code)
      .filter((clientCode) => !section.includes(`\`${clientCode}\``));
    expect(missing).toEqual([]);
  });
});
