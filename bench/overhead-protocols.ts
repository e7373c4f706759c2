/**
 * The client APIs `bench:overhead` drives through the gateway, and their flavours: chat completions
 * (the baseline: plain pass-through), the Responses API and Anthropic Messages bridged to the chat
 * mock, the same piped to a backend that serves them itself (`-native`), and Responses with
 * `store: true`. For each: the request it sends and how its probe answer is checked. Pure functions.
 * @module
 */
import { jsonRequest, type RequestSpec } from "../src/bench/load.js";

/** The model of the chat mock: every bridged and chat request asks for it. */
export const MODEL = "mock-model";
/**
 * The model of the backend entry that declares `native_apis`: same mock, second config entry, so
 * one gateway serves both. The mock is started with both names, so the gateway sends the name
 * through as asked rather than rewriting a piped body.
 */
export const NATIVE_MODEL = "mock-model-native";

export const APIS = ["chat", "responses", "messages"] as const;
export type Api = (typeof APIS)[number];

export const FLAVOURS = [
  "chat",
  "responses",
  "messages",
  "responses-native",
  "messages-native",
  "responses-store",
] as const;
export type Flavour = (typeof FLAVOURS)[number];

/** The APIs a backend entry declares (`native_apis`) and the mock is asked to serve (`--native-apis`). */
export const NATIVE_APIS = ["responses", "messages"] as const;

const ANTHROPIC_VERSION = "2023-06-01";

export function flavourApi(flavour: Flavour): Api {
  return flavour.startsWith("responses") ? "responses" : flavour.startsWith("messages") ? "messages" : "chat";
}

export function isNative(flavour: Flavour): boolean {
  return flavour.endsWith("-native");
}

/** A native flavour needs a mock and a gateway set up for it; the others run on any gateway. */
export function needsNative(flavours: readonly Flavour[]): boolean {
  return flavours.some(isNative);
}

/**
 * `--protocols chat,responses,messages-native`: the flavours to run, in the canonical order, chat
 * always included (it is the baseline every other flavour is compared with). `native` adds the
 * native flavour of each API listed. An error message for an unknown name.
 */
export function parseFlavours(text: string, native: boolean): Flavour[] | string {
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  const unknown = names.find((name) => !(FLAVOURS as readonly string[]).includes(name));
  if (unknown !== undefined) return `unknown protocol "${unknown}" (expected ${FLAVOURS.join(", ")})`;
  const wanted = new Set<string>(["chat", ...names]);
  if (native)
    for (const api of NATIVE_APIS)
      if ([...wanted].some((name) => name.startsWith(api))) wanted.add(`${api}-native`);
  return FLAVOURS.filter((flavour) => wanted.has(flavour));
}

/** The request a phase of `flavour` sends: the same short prompt and 16-token cap in every API. */
export function protocolRequest(flavour: Flavour, stream: boolean): RequestSpec {
  const model = isNative(flavour) ? NATIVE_MODEL : MODEL;
  switch (flavourApi(flavour)) {
    case "chat":
      return jsonRequest(
        "/v1/chat/completions",
        { model, messages: [{ role: "user", content: "Say hello." }], stream, max_tokens: 16 },
        stream,
      );
    case "responses":
      return jsonRequest(
        "/v1/responses",
        // store: false unless asked, so the response store's cost is not in the bridge's figure.
        { model, input: "Say hello.", max_output_tokens: 16, stream, store: flavour === "responses-store" },
        stream,
      );
    case "messages": {
      const spec = jsonRequest(
        "/v1/messages",
        { model, max_tokens: 16, messages: [{ role: "user", content: "Say hello." }], stream },
        stream,
      );
      return { ...spec, headers: { ...spec.headers, "anthropic-version": ANTHROPIC_VERSION } };
    }
  }
}

/** What ends a complete stream of each API. */
const STREAM_END: Record<Api, string> = {
  chat: "data: [DONE]",
  responses: "event: response.completed",
  messages: "event: message_stop",
};

/** The field a JSON answer of each API must carry, as `[name, value]`. */
const JSON_SHAPE: Record<Api, [string, string]> = {
  chat: ["object", "chat.completion"],
  responses: ["object", "response"],
  messages: ["type", "message"],
};

/**
 * Checks a 200 answer of the probe: a stream must reach its API's end, a JSON body must be that
 * API's object. Returns what is wrong, or undefined.
 */
export function probeProblem(flavour: Flavour, stream: boolean, text: string): string | undefined {
  const api = flavourApi(flavour);
  if (stream) return text.includes(STREAM_END[api]) ? undefined : `no \`${STREAM_END[api]}\` in the stream`;
  const [name, value] = JSON_SHAPE[api];
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return "the answer is not JSON";
  }
  const found =
    typeof body === "object" && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return found === value
    ? undefined
    : `the answer is not a ${api} object (${name}: ${JSON.stringify(found)})`;
}

/** The header a mock started with `--native-apis` puts on each answer of an API it served natively. */
export const NATIVE_MARK_HEADER = "x-mock-native";

/**
 * A native flavour's answer, from a mock that marks native answers, must carry the mark: without it
 * the gateway translated the request instead of piping it, and the figures would not be native.
 */
export function nativeMarkProblem(flavour: Flavour, headers: Record<string, unknown>): string | undefined {
  if (!isNative(flavour)) return undefined;
  const api = flavourApi(flavour);
  const mark = headers[NATIVE_MARK_HEADER];
  return mark === api
    ? undefined
    : `no \`${NATIVE_MARK_HEADER}: ${api}\` on the answer: the gateway translated it instead of piping it`;
}
