/**
 * How a mock answer says it came from an API served natively (`--native-apis`): the header
 * `x-mock-native: <api>`. A gateway test reads it to tell a request passed through untranslated from one
 * the gateway bridged (a bridged request reaches `/v1/chat/completions`, which never carries it).
 * @module
 */
import type { FastifyReply } from "fastify";
import type { MockContext } from "./context.js";
import type { NativeApi } from "./options.js";

export const NATIVE_HEADER = "x-mock-native";

/** True when the mock was told to serve `api` natively. */
export function servesNatively(context: MockContext, api: NativeApi): boolean {
  return context.options.nativeApis.includes(api);
}

/**
 * Marks the answer when `api` is served natively. Set on the raw response, so it survives `hijack()`:
 * Node merges it into the streaming path's `writeHead` as into fastify's.
 */
export function markNative(context: MockContext, reply: FastifyReply, api: NativeApi): void {
  if (servesNatively(context, api)) reply.raw.setHeader(NATIVE_HEADER, api);
}
