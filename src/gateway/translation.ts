/**
 * Every request goes through a translator (src/protocol/translate), and so does its answer. Where the
 * client's protocol and the backend's kind are the same it is a passthrough, which pipes bytes.
 * @module
 */

import { createAnthropicToOpenAI } from "../protocol/translate/anthropic-to-openai.js";
import { createOpenAIToAnthropic } from "../protocol/translate/openai-to-anthropic.js";
import { createPassthrough } from "../protocol/translate/passthrough.js";
import type { Protocol, Translator } from "../protocol/translate/translator.js";
import type { BackendKind } from "../routing/backend.js";

/** A fresh translator for one request; `path` is where a passthrough sends it (the client's path). */
export function translatorFor(client: Protocol, backend: BackendKind, path: string): Translator {
  if (client === backend) return createPassthrough(client, path);
  return client === "anthropic" ? createAnthropicToOpenAI() : createOpenAIToAnthropic();
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
