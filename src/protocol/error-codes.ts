/**
 * Every error Switchyard answers with, by stable code, in one table: the gateway's codes and
 * `switchyard serve`'s (`SWY_ERR_SERVE_*`). Each code has its HTTP status, the `type` an OpenAI
 * client and an Anthropic client see, the `error.code` string an OpenAI client sees, and a default
 * message a thrower may replace with a more precise one. Error bodies are built from this table by
 * `openai/errors.ts` and `anthropic/errors.ts`. Tests check `code` and `status`, never the message
 * text. Codes are stable and retired codes are never reused: clients and dashboards key on them.
 *
 * The serve codes stay apart from the gateway's even where the wire output is the same (model not
 * found, invalid JSON): they are logged, and a log line should say which process answered.
 * @module
 */

/** The `error.type` values OpenAI documents, plus `timeout_error`, which its SDKs map from 504. */
export type OpenAIErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "rate_limit_error"
  | "timeout_error"
  | "server_error";

/** The `error.type` values Anthropic's Messages API documents. */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error";

export interface ErrorCodeEntry {
  readonly status: number;
  /** OpenAI's `error.type`. */
  readonly openai: OpenAIErrorType;
  /** Anthropic's `error.type`. */
  readonly anthropic: AnthropicErrorType;
  /** OpenAI's `error.code` (Anthropic bodies have no such field). */
  readonly code: string;
  /** The message when the thrower gives none. */
  readonly message: string;
}

export const ERROR_TABLE = {
  // The gateway.
  SWY_ERR_INVALID_JSON: {
    status: 400,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "invalid_json",
    message: "The request body is not valid JSON.",
  },
  SWY_ERR_INVALID_REQUEST: {
    status: 400,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "invalid_request",
    message: "Bad request",
  },
  SWY_ERR_ROUTE_NOT_FOUND: {
    status: 404,
    openai: "invalid_request_error",
    anthropic: "not_found_error",
    code: "route_not_found",
    message: "No such route.",
  },
  SWY_ERR_METHOD_NOT_ALLOWED: {
    status: 405,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "method_not_allowed",
    message: "Method not allowed on this route.",
  },
  SWY_ERR_MODEL_NOT_FOUND: {
    status: 404,
    openai: "invalid_request_error",
    anthropic: "not_found_error",
    code: "model_not_found",
    message: "No backend serves this model.",
  },
  SWY_ERR_NODE_NOT_FOUND: {
    status: 404,
    openai: "invalid_request_error",
    anthropic: "not_found_error",
    code: "node_not_found",
    message: "No backend of this model has that name.",
  },
  SWY_ERR_UNAUTHORIZED: {
    status: 401,
    openai: "authentication_error",
    anthropic: "authentication_error",
    code: "invalid_admin_token",
    message: "Missing or invalid admin token.",
  },
  SWY_ERR_FORBIDDEN: {
    status: 403,
    openai: "permission_error",
    anthropic: "permission_error",
    code: "forbidden",
    message: "Forbidden.",
  },
  SWY_ERR_CLIENT_KEY_MISSING: {
    status: 401,
    openai: "authentication_error",
    anthropic: "authentication_error",
    code: "missing_api_key",
    message: "An API key is required.",
  },
  SWY_ERR_CLIENT_KEY_INVALID: {
    status: 401,
    openai: "authentication_error",
    anthropic: "authentication_error",
    code: "invalid_api_key",
    message: "Invalid API key.",
  },
  SWY_ERR_CLIENT_KEY_EXPIRED: {
    status: 401,
    openai: "authentication_error",
    anthropic: "authentication_error",
    code: "expired_api_key",
    message: "The API key has expired.",
  },
  SWY_ERR_BUDGET_EXCEEDED: {
    status: 429,
    openai: "rate_limit_error",
    anthropic: "rate_limit_error",
    code: "budget_exceeded",
    message: "The key's budget is spent.",
  },
  SWY_ERR_KEY_NOT_FOUND: {
    status: 404,
    openai: "invalid_request_error",
    anthropic: "not_found_error",
    code: "key_not_found",
    message: "No key has that id.",
  },
  SWY_ERR_KEY_STORE_UNAVAILABLE: {
    status: 503,
    openai: "server_error",
    anthropic: "overloaded_error",
    code: "key_store_unavailable",
    message: "The store of runtime keys did not answer.",
  },
  SWY_ERR_MODEL_FORBIDDEN: {
    status: 403,
    openai: "permission_error",
    anthropic: "permission_error",
    code: "model_not_allowed",
    message: "This API key may not use this model.",
  },
  SWY_ERR_RATE_LIMITED: {
    status: 429,
    openai: "rate_limit_error",
    anthropic: "rate_limit_error",
    code: "rate_limit_exceeded",
    message: "Rate limit exceeded.",
  },
  SWY_ERR_CAPACITY: {
    status: 429,
    openai: "rate_limit_error",
    anthropic: "rate_limit_error",
    code: "capacity_exceeded",
    message: "Every backend is at capacity.",
  },
  SWY_ERR_SLO_SHED: {
    status: 429,
    openai: "rate_limit_error",
    anthropic: "rate_limit_error",
    code: "slo_shed",
    message: "Every backend's expected wait exceeds the time-to-first-token target.",
  },
  SWY_ERR_KV_SHED: {
    status: 429,
    openai: "rate_limit_error",
    anthropic: "rate_limit_error",
    code: "kv_shed",
    message: "The backend's KV cache stayed full and its admission queue could not hold the request.",
  },
  SWY_ERR_BACKEND_NOT_FOUND: {
    status: 404,
    openai: "invalid_request_error",
    anthropic: "not_found_error",
    code: "backend_not_found",
    message: "No such backend.",
  },
  SWY_ERR_BODY_TOO_LARGE: {
    status: 413,
    openai: "invalid_request_error",
    anthropic: "request_too_large",
    code: "request_too_large",
    message: "The request body is too large.",
  },
  SWY_ERR_TOO_MANY_MESSAGES: {
    status: 400,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "array_above_max_length",
    message: "Too many messages.",
  },
  SWY_ERR_DUPLICATE_FIELD: {
    status: 400,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "duplicate_field",
    message: "A field appears twice in the request body.",
  },
  SWY_ERR_URL_TOO_LONG: {
    status: 414,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "url_too_long",
    message: "The URL is too long.",
  },
  SWY_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "request_headers_too_large",
    message: "The request headers are too large.",
  },
  SWY_ERR_MALFORMED_HTTP: {
    status: 400,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "malformed_http_request",
    message: "Malformed HTTP request.",
  },
  SWY_ERR_CLIENT_TIMEOUT: {
    status: 408,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "request_timeout",
    message: "The request was not received in time.",
  },
  SWY_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "unsupported_media_type",
    message: "Unsupported media type.",
  },
  /** `GET`/`DELETE /v1/responses/{id}` for a response the store does not hold (never, expired, evicted, deleted). */
  SWY_ERR_RESPONSE_NOT_FOUND: {
    status: 404,
    openai: "invalid_request_error",
    anthropic: "not_found_error",
    code: "response_not_found",
    message: "No stored response has this id.",
  },
  /** A `previous_response_id` the store does not hold; OpenAI's own code for it. */
  SWY_ERR_PREVIOUS_RESPONSE_NOT_FOUND: {
    status: 404,
    openai: "invalid_request_error",
    anthropic: "not_found_error",
    code: "previous_response_not_found",
    message: "No stored response has the previous_response_id.",
  },
  /** The response store's Redis did not answer: a stored response can be neither read nor ruled out. */
  SWY_ERR_RESPONSE_STORE_UNAVAILABLE: {
    status: 503,
    openai: "server_error",
    anthropic: "overloaded_error",
    code: "response_store_unavailable",
    message: "The response store is unreachable.",
  },
  /** `/admin/usage` or `/admin/requests` on a gateway whose ledger is off. */
  SWY_ERR_LEDGER_OFF: {
    status: 404,
    openai: "invalid_request_error",
    anthropic: "not_found_error",
    code: "ledger_off",
    message: "The request ledger is off: start the gateway with --ledger or a database_url.",
  },
  /** The ledger's database did not answer a query. */
  SWY_ERR_LEDGER_UNAVAILABLE: {
    status: 503,
    openai: "server_error",
    anthropic: "overloaded_error",
    code: "ledger_unavailable",
    message: "The ledger's database is unreachable.",
  },
  SWY_ERR_UPSTREAM_FAILED: {
    status: 502,
    openai: "server_error",
    anthropic: "api_error",
    code: "upstream_failed",
    message: "The backend failed.",
  },
  SWY_ERR_NO_HEALTHY_BACKEND: {
    status: 503,
    openai: "server_error",
    anthropic: "overloaded_error",
    code: "no_healthy_backend",
    message: "No healthy backend serves this model.",
  },
  SWY_ERR_UPSTREAM_TIMEOUT: {
    status: 504,
    openai: "timeout_error",
    anthropic: "api_error",
    code: "upstream_timeout",
    message: "No backend answered in time.",
  },
  SWY_ERR_INVALID_CONFIG: {
    status: 422,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "invalid_config",
    message: "Invalid configuration.",
  },
  SWY_ERR_RELOAD_REFUSED: {
    status: 409,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "reload_refused",
    message: "The new configuration would leave a model without backends.",
  },
  SWY_ERR_INTERNAL: {
    status: 500,
    openai: "server_error",
    anthropic: "api_error",
    code: "internal_error",
    message: "The gateway hit an unexpected error.",
  },

  // `switchyard serve`.
  SWY_ERR_SERVE_INVALID_JSON: {
    status: 400,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "invalid_json",
    message: "The request body is not valid JSON.",
  },
  SWY_ERR_SERVE_INVALID_REQUEST: {
    status: 400,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "invalid_request",
    message: "Bad request",
  },
  SWY_ERR_SERVE_CONTEXT_LENGTH: {
    status: 400,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "context_length_exceeded",
    message: "The prompt does not fit the model's context.",
  },
  SWY_ERR_SERVE_UNSUPPORTED: {
    status: 400,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "unsupported_parameter",
    message: "Unsupported parameter.",
  },
  SWY_ERR_SERVE_MODEL_NOT_FOUND: {
    status: 404,
    openai: "invalid_request_error",
    anthropic: "not_found_error",
    code: "model_not_found",
    message: "This server does not serve that model.",
  },
  SWY_ERR_SERVE_ROUTE_NOT_FOUND: {
    status: 404,
    openai: "invalid_request_error",
    anthropic: "not_found_error",
    code: "unknown_url",
    message: "Invalid URL.",
  },
  SWY_ERR_SERVE_BODY_TOO_LARGE: {
    status: 413,
    openai: "invalid_request_error",
    anthropic: "request_too_large",
    code: "request_too_large",
    message: "The request body is too large.",
  },
  SWY_ERR_SERVE_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    openai: "invalid_request_error",
    anthropic: "invalid_request_error",
    code: "unsupported_media_type",
    message: "Unsupported media type.",
  },
  SWY_ERR_SERVE_QUEUE_FULL: {
    status: 429,
    openai: "rate_limit_error",
    anthropic: "rate_limit_error",
    code: "queue_full",
    message: "The request queue is full.",
  },
  /** The model's output broke the requested JSON format even after the retry policy. */
  SWY_ERR_SERVE_INVALID_OUTPUT: {
    status: 500,
    openai: "server_error",
    anthropic: "api_error",
    code: "invalid_model_output",
    message: "The model's output does not match the requested format.",
  },
  SWY_ERR_SERVE_INTERNAL: {
    status: 500,
    openai: "server_error",
    anthropic: "api_error",
    code: "internal_error",
    message: "The model server hit an unexpected error.",
  },
  SWY_ERR_SERVE_LOADING: {
    status: 503,
    openai: "server_error",
    anthropic: "overloaded_error",
    code: "model_loading",
    message: "The model is still loading.",
  },
} as const satisfies Record<`SWY_ERR_${string}`, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_TABLE;
export type ServeErrorCode = Extract<ErrorCode, `SWY_ERR_SERVE_${string}`>;
export type GatewayErrorCode = Exclude<ErrorCode, ServeErrorCode>;

/**
 * An error with a table code. The gateway's `GatewayError` and serve's `ServeError` narrow the code
 * to their own half of the table and add what their replies need (headers, Retry-After).
 */
export class SwitchyardError<C extends ErrorCode = ErrorCode> extends Error {
  override name = "SwitchyardError";
  readonly code: C;
  readonly status: number;
  /** The request field at fault, when there is one (OpenAI's `error.param`). */
  readonly param: string | null;

  constructor(
    code: C,
    message: string = ERROR_TABLE[code].message,
    options: { param?: string | null; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = ERROR_TABLE[code].status;
    this.param = options.param ?? null;
  }

  /** OpenAI's `error.code` for this error. */
  get clientCode(): string {
    return ERROR_TABLE[this.code].code;
  }
}
