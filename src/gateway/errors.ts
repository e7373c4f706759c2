/**
 * The gateway's errors: the non-serve half of the error table (`protocol/error-codes.ts`), which
 * holds each code's status, client types, client code and default message. Anything thrown that is
 * not a GatewayError becomes SWY_ERR_INTERNAL (500) and is logged with the request id.
 * @module
 */
import { type GatewayErrorCode, SwitchyardError } from "../protocol/error-codes.js";

export type { GatewayErrorCode };

export class GatewayError extends SwitchyardError<GatewayErrorCode> {
  override name = "GatewayError";
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: GatewayErrorCode,
    message?: string,
    options: { param?: string; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(code, message, options);
    this.headers = options.headers ?? {};
  }
}
