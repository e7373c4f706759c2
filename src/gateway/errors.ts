/**
 * Every error the gateway answers with, by stable code. Tests check `code` and `status`, never the
 * message text. Retired codes are never reused. Anything thrown that is not a GatewayError becomes
 * SWY_ERR_INTERNAL (500) and is logged with the request id.
 * @module
 */

interface ErrorDefinition {
  status: number;
  /** The `error.code` an OpenAI client sees. */
  clientCode: string;
}

export const ERROR_CODES = {
  SWY_ERR_INVALID_JSON: { status: 400, clientCode: "invalid_json" },
  SWY_ERR_INVALID_REQUEST: { status: 400, clientCode: "invalid_request" },
  SWY_ERR_ROUTE_NOT_FOUND: { status: 404, clientCode: "route_not_found" },
  SWY_ERR_METHOD_NOT_ALLOWED: { status: 405, clientCode: "method_not_allowed" },
  SWY_ERR_MODEL_NOT_FOUND: { status: 404, clientCode: "model_not_found" },
  SWY_ERR_NODE_NOT_FOUND: { status: 404, clientCode: "node_not_found" },
  SWY_ERR_UNAUTHORIZED: { status: 401, clientCode: "invalid_admin_token" },
  SWY_ERR_FORBIDDEN: { status: 403, clientCode: "forbidden" },
  SWY_ERR_CLIENT_KEY_MISSING: { status: 401, clientCode: "missing_api_key" },
  SWY_ERR_CLIENT_KEY_INVALID: { status: 401, clientCode: "invalid_api_key" },
  SWY_ERR_MODEL_FORBIDDEN: { status: 403, clientCode: "model_not_allowed" },
  SWY_ERR_RATE_LIMITED: { status: 429, clientCode: "rate_limit_exceeded" },
  SWY_ERR_CAPACITY: { status: 429, clientCode: "capacity_exceeded" },
  SWY_ERR_BACKEND_NOT_FOUND: { status: 404, clientCode: "backend_not_found" },
  SWY_ERR_BODY_TOO_LARGE: { status: 413, clientCode: "request_too_large" },
  SWY_ERR_TOO_MANY_MESSAGES: { status: 400, clientCode: "array_above_max_length" },
  SWY_ERR_URL_TOO_LONG: { status: 414, clientCode: "url_too_long" },
  SWY_ERR_HEADERS_TOO_LARGE: { status: 431, clientCode: "request_headers_too_large" },
  SWY_ERR_MALFORMED_HTTP: { status: 400, clientCode: "malformed_http_request" },
  SWY_ERR_CLIENT_TIMEOUT: { status: 408, clientCode: "request_timeout" },
  SWY_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, clientCode: "unsupported_media_type" },
  SWY_ERR_UPSTREAM_FAILED: { status: 502, clientCode: "upstream_failed" },
  SWY_ERR_NO_HEALTHY_BACKEND: { status: 503, clientCode: "no_healthy_backend" },
  SWY_ERR_UPSTREAM_TIMEOUT: { status: 504, clientCode: "upstream_timeout" },
  SWY_ERR_INVALID_CONFIG: { status: 422, clientCode: "invalid_config" },
  SWY_ERR_INTERNAL: { status: 500, clientCode: "internal_error" },
} as const satisfies Record<string, ErrorDefinition>;

export type GatewayErrorCode = keyof typeof ERROR_CODES;

export class GatewayError extends Error {
  override name = "GatewayError";
  readonly code: GatewayErrorCode;
  readonly status: number;
  /** The request field at fault, when there is one (OpenAI's `error.param`). */
  readonly param: string | null;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: GatewayErrorCode,
    message: string,
    options: { param?: string; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  get clientCode(): string {
    return ERROR_CODES[this.code].clientCode;
  }
}
