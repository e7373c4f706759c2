/**
 * Every request goes through a translator (src/protocol/translate), and so does its answer. Where the
 * client's protocol and the backend's kind are the same it is a passthrough, which pipes bytes.
 * @module
 */

import type { NativeApi } from "../config/schema.js";
import { createAnthropicToOpenAI } from "../protocol/translate/anthropic-to-openai.js";
import { createOpenAIToAnthropic } from "../protocol/translate/openai-to-anthropic.js";
import { createPassthrough } from "../protocol/translate/passthrough.js";
import { createResponsesToAnthropic } from "../protocol/translate/responses-to-anthropic.js";
import {
  createResponsesToChat,
  type ResponsesTranslatorOptions,
} from "../protocol/translate/responses-to-chat.js";
import type { Protocol, Translator } from "../protocol/translate/translator.js";
import type { BackendKind, BackendView } from "../routing/backend.js";

/** What decides a request's translator: the backend's protocol, and the APIs it serves itself. */
export type TranslationTarget = Pick<BackendView, "kind"> & { readonly nativeApis: ReadonlySet<NativeApi> };

/**
 * A fresh translator for one request; `path` is where a passthrough sends it (the client's path). A
 * backend that serves the client's API itself (`native_apis`) gets the request untranslated.
 */
export function translatorFor(
  client: Protocol,
  backend: TranslationTarget,
  path: string,
  responses?: ResponsesTranslatorOptions,
): Translator {
  if (client === backend.kind) return createPassthrough(client, path);
  if (client === "anthropic") {
    return backend.nativeApis.has("messages") ? createPassthrough(client, path) : createAnthropicToOpenAI();
  }
  if (client === "responses") {
    if (backend.kind === "anthropic") return createResponsesToAnthropic(responses);
    return backend.nativeApis.has("responses")
      ? createPassthrough(client, path)
      : createResponsesToChat(responses);
  }
  return createOpenAIToAnthropic();
}

/**
 * Credentials cross protocols in their other spelling (pass-through mode): a client's
 * `x-api-key` becomes `Authorization: Bearer` for an OpenAI backend, and back.
 */
export function translateCredentials(
  headers: Record<string, string>,
  backend: BackendKind,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (
      name === "authorization" ||
      name === "x-api-key" ||
      name.startsWith("anthropic-") ||
      name.startsWith("openai-")
    )
      continue;
    out[name] = value;
  }
  const key = headers["x-api-key"] ?? headers.authorization?.replace(/^Bearer\s+/i, "");
  if (key) {
    if (backend === "anthropic") out["x-api-key"] = key;
    else out.authorization = `Bearer ${key}`;
  }
  return Object.assign(out, extra);
}
