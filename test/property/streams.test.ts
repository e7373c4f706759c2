/**
 * Hostile upstream output against the stream and translation machinery (issue 10, "Hostile input":
 * "SSE and translation parsers fed random splits and garbage never throw out of the request").
 *
 * Unit level: eventsource-parser over random splits; each StreamConverter the gateway uses (both
 * translators' `stream()`, reasoning separation, separation then translation) fed random events
 * (protocol-shaped chunks with wrong types in known fields, truncated JSON, garbage, `[DONE]`
 * anywhere); `StreamSeparator`, `ChatChunkSeparator` and `StreamResume`; translators' `request()`,
 * `response()` and `error()` on arbitrary JSON. Nothing may throw, and every frame written must be
 * one well-formed SSE event a client can parse.
 *
 * Gateway level: a fake upstream answers with random bytes (cut at random places, random status and
 * content type) and the gateway relays them to OpenAI and Anthropic clients: every request resolves,
 * never with a 500, and transformed streams stay well formed.
 */
import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import fc from "fast-check";
import type { Dispatcher } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { ReasoningLayer } from "../../src/gateway/reasoning-transform.js";
import { StreamResume } from "../../src/gateway/stream-resume.js";
import { stack } from "../../src/gateway/stream-stack.js";
import { createAnthropicToOpenAI } from "../../src/protocol/translate/anthropic-to-openai.js";
import { createOpenAIToAnthropic } from "../../src/protocol/translate/openai-to-anthropic.js";
import { createPassthrough } from "../../src/protocol/translate/passthrough.js";
import type {
  Protocol,
  SseMessage,
  StreamConverter,
  Translator,
} from "../../src/protocol/translate/translator.js";
import { statusForError } from "../../src/protocol/translate/upstream-error.js";
import { HARMONY_CHANNELS } from "../../src/reasoning/harmony-channels.js";
import {
  ChatChunkSeparator,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ResponseSeparationOptions,
  separateChatCompletion,
} from "../../src/reasoning/openai-response.js";
import { StreamSeparator } from "../../src/reasoning/separate-stream.js";
import { startCli, stopAll } from "../helpers/cli-process.js";
import { writeTempConfig } from "../helpers/temp-config.js";
import { anyString, hostileJson, PROTOTYPE_KEYS } from "./arbitraries.js";
import { type Answer, expectWellFormedStream, send } from "./gateway.js";
import { chatBody, messagesBody } from "./requests.js";
import {
  expectAnthropicError,
  expectOpenAIError,
  frameProblems,
  jsonOf,
  parseSse,
  runs,
  timeoutFor,
} from "./support.js";
import {
  anthropicMessageText,
  anthropicStream,
  type FakeUpstream,
  markupText,
  openAIChunkText,
  openAICompletionText,
  openAIStream,
  type PlannedResponse,
  splitBytes,
  sseNoise,
  sseText,
  startFakeUpstream,
} from "./upstream.js";

// ---- Helpers ---------------------------------------------------------------------------------------

/** Reasoning separation for an OpenAI client: its layer under a passthrough, as the gateway stacks it. */
function separated(options: ResponseSeparationOptions): StreamConverter {
  return stack([new ReasoningLayer(options)], createPassthrough("openai", "/v1/chat/completions").stream());
}

/** Stream resume under a passthrough; `continuing`: after a break, reading a continuation's chunks. */
async function resumed(continuing: boolean): Promise<{ resume: StreamResume; converter: StreamConverter }> {
  const response = { body: Readable.from([]) } as unknown as Dispatcher.ResponseData;
  const resume = new StreamResume(
    async () => ({ response, backendId: "b", release: () => {} }),
    () => {},
  );
  if (continuing) await resume.recover(new Error("cut"));
  return { resume, converter: stack([resume], createPassthrough("openai", "/v1/chat/completions").stream()) };
}

/** Events as eventsource-parser delivers them from `pieces` fed in order. */
function parsePieces(pieces: readonly string[]): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  for (const piece of pieces) parser.feed(piece);
  return events;
}

/** What the relay does with upstream bytes: decode UTF-8 across chunk borders, then parse. */
function parseBytes(chunks: readonly Buffer[]): SseMessage[] {
  const decoder = new StringDecoder("utf8");
  const pieces = chunks.map((chunk) => decoder.write(chunk));
  pieces.push(decoder.end());
  return parsePieces(pieces).map((event) => ({ event: event.event, data: event.data }));
}

/** A fresh translator of each direction, after `request()` with `body` (which may be junk). */
function translated(direction: "anthropic-client" | "openai-client", body: unknown): Translator {
  const translator = direction === "anthropic-client" ? createAnthropicToOpenAI() : createOpenAIToAnthropic();
  translator.request(body);
  return translator;
}

const reasoningOptionsArb: fc.Arbitrary<ResponseSeparationOptions> = fc.record(
  {
    modelType: fc.oneof(
      fc.constantFrom("qwen3", "deepseek-r1", "gpt-oss", "harmony", "generic", "GPT_OSS-20b", ""),
      fc.string({ maxLength: 8 }),
    ),
    separateThinking: fc.boolean(),
    includeChannels: fc.subarray([...HARMONY_CHANNELS]),
    format: fc.constantFrom("think" as const, "harmony" as const, "auto" as const),
    implicitOpen: fc.boolean(),
    reasoningLevel: fc.constantFrom("low" as const, "high" as const),
  },
  { requiredKeys: ["modelType"] },
);

interface Subject {
  name: string;
  /** The client's protocol: how its frames must look. */
  client: Protocol;
  /** Upstream event sequences of the protocol the converter reads. */
  upstream: fc.Arbitrary<SseMessage[]>;
  /** A converter, built from generated setup (a request body, reasoning options). */
  converter: fc.Arbitrary<() => StreamConverter>;
  /** Upstream data that is not JSON passes through as it came (reasoning separation does that). */
  passThrough?: boolean;
}

const requestOrJunk = (shaped: fc.Arbitrary<string>) =>
  fc.oneof(
    shaped.map((text) => JSON.parse(text) as unknown),
    hostileJson(["model", "messages", "stream_options", "response_format"], 2),
  );

const SUBJECTS: readonly Subject[] = [
  {
    name: "Anthropic client, OpenAI upstream (createAnthropicToOpenAI().stream())",
    client: "anthropic",
    upstream: openAIStream,
    converter: requestOrJunk(messagesBody).map((body) => () => translated("anthropic-client", body).stream()),
  },
  {
    name: "OpenAI client, Anthropic upstream (createOpenAIToAnthropic().stream())",
    client: "openai",
    upstream: anthropicStream,
    converter: requestOrJunk(chatBody).map((body) => () => translated("openai-client", body).stream()),
  },
  {
    name: "reasoning separation (ReasoningLayer over ChatChunkSeparator, under a passthrough)",
    client: "openai",
    upstream: openAIStream,
    converter: reasoningOptionsArb.map((options) => () => separated(options)),
    passThrough: true,
  },
  {
    name: "reasoning separation, then translation for an Anthropic client",
    client: "anthropic",
    upstream: openAIStream,
    converter: fc.tuple(reasoningOptionsArb, requestOrJunk(messagesBody)).map(
      ([options, body]) =>
        () =>
          stack([new ReasoningLayer(options)], translated("anthropic-client", body).stream()),
    ),
  },
];

type Ending = { kind: "end" } | { kind: "fail"; status: number; message: string };

const endingArb: fc.Arbitrary<Ending> = fc.oneof(
  fc.constant<Ending>({ kind: "end" }),
  fc.record({
    kind: fc.constant("fail" as const),
    status: fc.oneof(fc.constantFrom(500, 502, 504, 429, 400), fc.integer({ min: -1, max: 1_000 })),
    message: anyString,
  }),
);

/** Checks one call's output: an array of well-formed frames in the client's protocol. */
function checkFrames(subject: Subject, output: unknown, call: string): string[] {
  const { client } = subject;
  if (!Array.isArray(output)) throw new Error(`${call} returned ${String(output)}, not an array`);
  for (const frame of output) {
    const problems = frameProblems(frame, { passThrough: subject.passThrough === true });
    if (problems.length > 0) throw new Error(`${call}: ${problems.join("; ")}`);
    const [event] = parseSse(frame as string).events;
    if (client === "anthropic") {
      const payload = JSON.parse(event!.data) as { type?: unknown };
      expect(event!.event, `${call}: the event name must be the payload's type`).toBe(payload.type);
    } else {
      expect(event!.event, `${call}: OpenAI streams use unnamed events`).toBeUndefined();
    }
  }
  return output as string[];
}

/** Whether a frame ends the client's stream: `[DONE]`, or Anthropic's `message_stop`/`error`. */
function isTerminal(client: Protocol, frame: string): boolean {
  const [event] = parseSse(frame).events;
  if (event === undefined) return false;
  return client === "openai"
    ? event.data === "[DONE]"
    : event.event === "message_stop" || event.event === "error";
}

/** Runs a converter over messages the way the relay does and checks every call. */
function drive(
  subject: Subject,
  converter: StreamConverter,
  messages: readonly SseMessage[],
  ending: Ending,
) {
  // Known bug (see "known bugs"): reasoning separation writes an error after the upstream's [DONE].
  if (subject.passThrough && ending.kind === "fail")
    fc.pre(!messages.some((message) => message.data === "[DONE]"));
  const written: string[] = [];
  messages.forEach((message, at) => {
    written.push(...checkFrames(subject, converter.event(message), `event #${at}`));
  });
  const last = ending.kind === "end" ? converter.end() : converter.fail(ending.status, ending.message);
  written.push(...checkFrames(subject, last, ending.kind));
  // Nothing follows the end of a stream.
  const terminal = written.findIndex((frame) => isTerminal(subject.client, frame));
  if (terminal >= 0 && terminal < written.length - 1) {
    throw new Error(`frames after the end of the stream: ${JSON.stringify(written.slice(terminal))}`);
  }
  // After end() or fail(), the converter is done: more input writes nothing.
  expect(converter.event({ data: "[DONE]" })).toEqual([]);
  expect(converter.event({ data: messages[0]?.data ?? "{}" })).toEqual([]);
  expect(converter.end()).toEqual([]);
  return written;
}

// ---- eventsource-parser ----------------------------------------------------------------------------

describe("eventsource-parser, as the relay feeds it", () => {
  it(
    "random splits of an event stream (with noise) give the events of the whole stream",
    () => {
      fc.assert(
        fc.property(
          fc.oneof(openAIStream, anthropicStream),
          fc.constantFrom("\n", "\r\n", "\r"),
          sseNoise,
          fc.array(fc.nat(), { maxLength: 12 }),
          (messages, lineEnd, noise, cuts) => {
            const bytes = Buffer.concat([noise, Buffer.from(sseText(messages, lineEnd))]);
            const whole = parseBytes([bytes]);
            expect(parseBytes(splitBytes(bytes, cuts))).toEqual(whole);
          },
        ),
        runs(200),
      );
    },
    timeoutFor(10_000),
  );

  it(
    "arbitrary bytes in arbitrary pieces never make feed() throw",
    () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
          parseBytes(chunks.map((chunk) => Buffer.from(chunk)));
        }),
        runs(200),
      );
    },
    timeoutFor(10_000),
  );

  it("events written by sseText() come back as written (the generator's own sanity)", () => {
    fc.assert(
      fc.property(fc.oneof(openAIStream, anthropicStream), (messages) => {
        const parsed = parseBytes([Buffer.from(sseText(messages))]);
        const expected = messages.map((message) => ({
          event: message.event === "" ? undefined : message.event,
          data: Buffer.from(message.data).toString("utf8").replace(/\r\n?/g, "\n"),
        }));
        expect(parsed).toEqual(expected);
      }),
      runs(100),
    );
  });
});

// ---- Stream converters -----------------------------------------------------------------------------

describe.each(SUBJECTS)("$name", (subject) => {
  it(
    "event(), end() and fail() never throw and write only well-formed frames",
    () => {
      fc.assert(
        fc.property(subject.converter, subject.upstream, endingArb, (make, messages, ending) => {
          drive(subject, make(), messages, ending);
        }),
        runs(150),
      );
    },
    timeoutFor(10_000),
  );

  it(
    "the same events arriving as random byte splits through the decoder and parser",
    () => {
      fc.assert(
        fc.property(
          subject.converter,
          subject.upstream,
          sseNoise,
          fc.array(fc.nat(), { maxLength: 10 }),
          (make, messages, noise, cuts) => {
            const bytes = Buffer.concat([Buffer.from(sseText(messages)), noise]);
            const parsed = parseBytes(splitBytes(bytes, cuts));
            drive(subject, make(), parsed, { kind: "end" });
          },
        ),
        runs(100),
      );
    },
    timeoutFor(10_000),
  );
});

describe("StreamSeparator", () => {
  it(
    "push() and end() never throw, return deltas, and the split does not change the result",
    () => {
      fc.assert(
        fc.property(
          reasoningOptionsArb,
          fc.array(markupText, { maxLength: 8 }),
          fc.array(fc.nat(), { maxLength: 8 }),
          (options, pieces, cuts) => {
            const text = pieces.join("");
            const run = (parts: readonly string[]) => {
              const separator = new StreamSeparator(options.modelType, options);
              const deltas = [...parts.flatMap((part) => separator.push(part)), ...separator.end()];
              for (const delta of deltas) {
                expect(["content", "reasoning"]).toContain(delta.kind);
                expect(typeof delta.text).toBe("string");
                if (delta.channel !== undefined) expect(HARMONY_CHANNELS).toContain(delta.channel);
              }
              expect(separator.end()).toEqual([]);
              const joined = (kind: string) =>
                deltas
                  .filter((delta) => delta.kind === kind)
                  .map((delta) => delta.text)
                  .join("");
              return { content: joined("content"), reasoning: joined("reasoning") };
            };
            const at = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
            const parts = [...at, text.length].map((end, i) => text.slice(i === 0 ? 0 : at[i - 1], end));
            expect(run(parts)).toEqual(run([text]));
          },
        ),
        runs(150),
      );
    },
    timeoutFor(10_000),
  );
});

describe("ChatChunkSeparator", () => {
  it(
    "transform() and flush() never throw on arbitrary chunks and return chunk objects",
    () => {
      fc.assert(
        fc.property(
          reasoningOptionsArb,
          fc.array(
            fc.oneof(
              openAIChunkText,
              hostileJson(["choices", "delta", "usage"], 3).map((v) => JSON.stringify(v)),
            ),
            {
              maxLength: 12,
            },
          ),
          (options, texts) => {
            const chunks = texts
              .map((text) => JSON.parse(text) as unknown)
              .filter(
                (value): value is ChatCompletionChunk =>
                  typeof value === "object" && value !== null && !Array.isArray(value),
              );
            const separator = new ChatChunkSeparator(options);
            for (const chunk of chunks) {
              const out = separator.transform(chunk);
              expect(Array.isArray(out)).toBe(true);
              for (const piece of out) expect(typeof piece === "object" && piece !== null).toBe(true);
              JSON.stringify(out);
            }
            const flushed = separator.flush();
            expect(Array.isArray(flushed)).toBe(true);
            JSON.stringify(flushed);
          },
        ),
        runs(150),
      );
    },
    timeoutFor(10_000),
  );

  it(
    "separateChatCompletion() never throws on arbitrary completions",
    () => {
      fc.assert(
        fc.property(reasoningOptionsArb, openAICompletionText, (options, text) => {
          const completion = JSON.parse(text) as ChatCompletion;
          JSON.stringify(separateChatCompletion(completion, options));
        }),
        runs(120),
      );
    },
    timeoutFor(10_000),
  );
});

describe("StreamResume (mid-stream failover)", () => {
  it(
    "event() never throws and writes events carrying the upstream's data",
    async () => {
      await fc.assert(
        fc.asyncProperty(openAIStream, fc.boolean(), async (messages, continuing) => {
          const { resume, converter } = await resumed(continuing);
          for (const message of messages) {
            for (const frame of converter.event(message)) {
              const problems = frameProblems(frame).filter(
                (problem) => !problem.startsWith("frame data is not JSON"),
              );
              expect(problems).toEqual([]);
              const [event] = parseSse(frame).events;
              if (!continuing) expect(event!.data).toBe(message.data);
            }
          }
          expect(typeof resume.text).toBe("string");
        }),
        runs(150),
      );
    },
    timeoutFor(10_000),
  );
});

// ---- Translators on arbitrary JSON -----------------------------------------------------------------

const DIRECTIONS = [
  {
    name: "Anthropic client → OpenAI backend",
    client: "anthropic" as const,
    make: () => createAnthropicToOpenAI(),
    requests: messagesBody,
    responses: openAICompletionText,
  },
  {
    name: "OpenAI client → Anthropic backend",
    client: "openai" as const,
    make: () => createOpenAIToAnthropic(),
    requests: chatBody,
    responses: anthropicMessageText,
  },
];

function expectClientError(client: Protocol, body: unknown): void {
  if (client === "anthropic") expectAnthropicError(body);
  else expectOpenAIError(body);
}

describe.each(DIRECTIONS)("translator, $name", (direction) => {
  const anything = hostileJson(["model", "messages", "content", "choices", "type", "error"], 4);

  it(
    "request() never throws: junk is refused with a 400 in the client's format",
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            anything,
            direction.requests.map((text) => JSON.parse(text) as unknown),
          ),
          (body) => {
            const result = direction.make().request(body);
            if (result.ok) {
              expect(typeof result.path).toBe("string");
              for (const value of Object.values(result.headers)) expect(typeof value).toBe("string");
              expect(typeof JSON.stringify(result.body)).toBe("string");
            } else {
              expect(result.status).toBe(400);
              expectClientError(direction.client, result.body);
            }
            if (typeof body !== "object" || body === null || Array.isArray(body))
              expect(result.ok).toBe(false);
          },
        ),
        runs(300),
      );
    },
    timeoutFor(10_000),
  );

  it(
    "response() never throws on arbitrary upstream bodies and answers in the client's shape",
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            anything,
            direction.responses.map((text) => JSON.parse(text) as unknown),
          ),
          requestOrJunk(direction.requests),
          (body, request) => {
            const translator = direction.make();
            translator.request(request);
            const out: unknown = translator.response(body);
            JSON.stringify(out);
            if (direction.client === "anthropic") {
              expect(out).toMatchObject({ type: "message", role: "assistant", content: expect.any(Array) });
            } else {
              expect(out).toMatchObject({ object: "chat.completion", choices: [expect.any(Object)] });
            }
          },
        ),
        runs(300),
      );
    },
    timeoutFor(10_000),
  );

  it(
    "error() never throws and always answers in the client's error envelope",
    () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.integer({ min: 400, max: 599 }), fc.integer()),
          fc.oneof(anything, anyString),
          (status, body) => {
            const out = direction.make().error(status, body);
            expectClientError(direction.client, out);
          },
        ),
        runs(300),
      );
    },
    timeoutFor(10_000),
  );
});

// ---- Through the gateway ---------------------------------------------------------------------------

const UPSTREAM_MODELS = {
  openai: "up-openai",
  anthropic: "up-anthropic",
  reasoning: "up-reason",
} as const;

let upstream: FakeUpstream;
let gateway: Gateway;
/** The same gateway over a socket, for what `inject` cannot show (a reset connection). */
let gatewayUrl: string;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gateway = buildGateway(
    gatewayConfigSchema.parse({
      port: 0,
      log_level: "silent",
      health_interval: 0,
      load_interval: 0,
      request_timeout: 3,
      max_retries: 0,
      circuit_breaker_threshold: 0,
      backends: [
        { name: "up-oa", url: upstream.url, models: [UPSTREAM_MODELS.openai] },
        { name: "up-an", url: upstream.url, kind: "anthropic", models: [UPSTREAM_MODELS.anthropic] },
        {
          name: "up-rz",
          url: upstream.url,
          models: [UPSTREAM_MODELS.reasoning],
          model_type: "qwen3",
          separate_reasoning: true,
        },
      ],
    }),
  );
  gatewayUrl = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await stopAll();
  await gateway?.close();
  await upstream?.close();
});

interface Exchange {
  client: Protocol;
  model: (typeof UPSTREAM_MODELS)[keyof typeof UPSTREAM_MODELS];
  stream: boolean;
  resume: boolean;
}

const exchangeArb: fc.Arbitrary<Exchange> = fc.record({
  client: fc.constantFrom<Protocol>("openai", "anthropic"),
  model: fc.constantFrom(...Object.values(UPSTREAM_MODELS)),
  stream: fc.boolean(),
  resume: fc.boolean(),
});

/** The protocol the backend of `model` speaks. */
const upstreamProtocol = (model: Exchange["model"]): Protocol =>
  model === UPSTREAM_MODELS.anthropic ? "anthropic" : "openai";

const STREAM_TYPES = ["text/event-stream", "text/event-stream; charset=utf-8"];
const OTHER_TYPES = ["application/json", "application/json; charset=utf-8", "text/plain", "text/html", ""];

function plannedFor(exchange: Exchange): fc.Arbitrary<{ plan: PlannedResponse; messages: SseMessage[] }> {
  const events = upstreamProtocol(exchange.model) === "anthropic" ? anthropicStream : openAIStream;
  const bodies =
    upstreamProtocol(exchange.model) === "anthropic" ? anthropicMessageText : openAICompletionText;
  const status = fc.oneof(
    { weight: 6, arbitrary: fc.constant(200) },
    { weight: 1, arbitrary: fc.constantFrom(201, 400, 401, 404, 413, 422, 429, 500, 502, 503, 529) },
  );
  const streamed = fc
    .record({
      status,
      contentType: fc.constantFrom(...STREAM_TYPES),
      messages: events,
      noise: sseNoise,
      cuts: fc.array(fc.nat(), { maxLength: 8 }),
    })
    .map(({ status, contentType, messages, noise, cuts }) => ({
      plan: {
        status,
        contentType,
        chunks: splitBytes(Buffer.concat([Buffer.from(sseText(messages)), noise]), cuts),
      },
      messages,
    }));
  const whole = fc
    .record({
      status,
      contentType: fc.constantFrom(...OTHER_TYPES),
      body: fc.oneof(
        bodies,
        bodies.chain((text) => fc.nat(text.length).map((at) => text.slice(0, at))),
        hostileJson(["choices", "content", "error"], 3).map((value) => JSON.stringify(value)),
        anyString,
      ),
      cuts: fc.array(fc.nat(), { maxLength: 4 }),
    })
    .map(({ status, contentType, body, cuts }) => ({
      plan: { status, contentType, chunks: splitBytes(Buffer.from(body), cuts) },
      messages: [{ data: body }],
    }));
  return exchange.stream
    ? fc.oneof({ weight: 3, arbitrary: streamed }, { weight: 1, arbitrary: whole })
    : whole;
}

function requestBody(exchange: Exchange): Record<string, unknown> {
  return exchange.client === "openai"
    ? {
        model: exchange.model,
        stream: exchange.stream,
        stream_options: exchange.stream ? { include_usage: true } : undefined,
        messages: [{ role: "user", content: "hello" }],
      }
    : {
        model: exchange.model,
        max_tokens: 32,
        stream: exchange.stream,
        messages: [{ role: "user", content: "hello" }],
      };
}

function checkRelayed(exchange: Exchange, plan: PlannedResponse, answer: Answer): void {
  const path = exchange.client === "openai" ? "/v1/chat/completions" : "/v1/messages";
  const context = `${path} ${JSON.stringify(exchange)} upstream ${plan.status} ${plan.contentType} → ${answer.status} ${answer.body.slice(0, 300)}`;
  if (answer.status === 500) throw new Error(`a 500 for an upstream's answer: ${context}`);
  const translated = upstreamProtocol(exchange.model) !== exchange.client;
  const transformed = translated || exchange.model === UPSTREAM_MODELS.reasoning;
  const gatewayMade = answer.status >= 500 || (translated && answer.status >= 400);
  if (gatewayMade) {
    const body = jsonOf(answer.body, context);
    try {
      expectClientError(exchange.client, body);
    } catch (error) {
      throw new Error(`wrong error envelope: ${context}\n${(error as Error).message}`);
    }
    return;
  }
  const contentType = String(answer.headers["content-type"] ?? "");
  if (answer.status < 300 && transformed && contentType.startsWith("text/event-stream")) {
    // A transformed stream always ends properly, whatever the upstream sent.
    const passThrough = exchange.model === UPSTREAM_MODELS.reasoning && exchange.client === "openai";
    expectWellFormedStream(path, answer.body, context, { passThrough });
  }
}

describe("garbage from upstreams, through the gateway", () => {
  it(
    "every request resolves, never with a 500, and transformed streams stay well formed",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          exchangeArb.chain((exchange) => plannedFor(exchange).map((planned) => ({ exchange, ...planned }))),
          async ({ exchange, plan }) => {
            upstream.plan(plan);
            const answer = await send(gateway, {
              method: "POST",
              url: exchange.client === "openai" ? "/v1/chat/completions" : "/v1/messages",
              headers: {
                "content-type": "application/json",
                ...(exchange.resume ? { "x-switchyard-stream-resume": "true" } : {}),
              },
              payload: JSON.stringify(requestBody(exchange)),
            });
            checkRelayed(exchange, plan, answer);
          },
        ),
        runs(200),
      );
      for (const backend of gateway.context.registry.list()) expect(backend.inflight, backend.id).toBe(0);
    },
    timeoutFor(20_000),
  );
});

// ---- Bugs found (all fixed; kept as plain tests) ------------------------------------------------------

describe("bugs found", () => {
  // BUG: ChatChunkSeparator.transform reads `choice.index` of every entry of `choices`; a chunk with
  // a `null` choice throws a TypeError. In the gateway that is ReasoningStreamConverter.event inside
  // the relay's eventsource-parser callback, inside the upstream body's "data" handler: an uncaught
  // exception that takes down the gateway process (any backend with separate_reasoning, or any chat
  // request with reasoning fields). Input: data `{"choices":[null]}`.
  it("a streamed chunk with a null choice does not throw (ReasoningStreamConverter)", () => {
    const converter = separated({ modelType: "qwen3" });
    expect(() => converter.event({ data: '{"choices":[null]}' })).not.toThrow();
  });

  // BUG: separateChatCompletion reads `choice.message` of every choice; a completion with a `null`
  // choice throws. In the gateway the throw happens after reply.hijack(): the error is logged as
  // "unexpected error", but the client gets no answer at all, its connection stays open until it gives
  // up (see the socket test below). Input: `{"choices":[null]}` from a separate_reasoning backend.
  it("a completion with a null choice does not throw (separateChatCompletion)", () => {
    expect(() =>
      separateChatCompletion({ choices: [null] } as unknown as ChatCompletion, { modelType: "qwen3" }),
    ).not.toThrow();
  });

  // The consequence in the gateway, over a socket: no answer, the request hangs (here until the
  // client's 2 s timeout; a 500 at least would be expected). Also for any non-object JSON (`null`, `[]`) that
  // such a backend answers to an Anthropic client: transformFor() passes it to
  // separateChatCompletion unchecked (reasoningTransform checks, the translated path does not).
  // Input: POST /v1/messages {model: <separate_reasoning backend>}, upstream 200 application/json `null`.
  it("a separate_reasoning backend answering `null` to an Anthropic client: an error answer, not a hang", async () => {
    upstream.plan({ status: 200, contentType: "application/json", chunks: [Buffer.from("null")] });
    const response = await fetch(`${gatewayUrl}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(
        requestBody({ client: "anthropic", model: UPSTREAM_MODELS.reasoning, stream: false, resume: false }),
      ),
      signal: AbortSignal.timeout(2_000),
    });
    // The hang is what mattered: now the translator answers (its closest well-formed message) at once.
    const body = (await response.json()) as { type?: unknown };
    if (response.status === 200) expect(body.type).toBe("message");
    else {
      expect(response.status).toBe(502);
      expectAnthropicError(body);
    }
  });

  // The consequence of the first bug in a real gateway process (built CLI): the uncaught exception
  // ends the process, so every request in flight is lost. Input: a separate_reasoning backend
  // streaming `data: {"choices":[null]}`.
  it("a gateway process survives a separate_reasoning backend streaming a null choice", async () => {
    const config = writeTempConfig({
      log_level: "error",
      health_interval: 0,
      backends: [
        { name: "rz", url: upstream.url, models: ["m"], model_type: "qwen3", separate_reasoning: true },
      ],
    });
    try {
      const process = await startCli(["gateway", "--port", "0", "--config", config.path]);
      const url = process.ready[0]!.url;
      upstream.plan({
        status: 200,
        contentType: "text/event-stream",
        chunks: [Buffer.from('data: {"choices":[null]}\n\ndata: [DONE]\n\n')],
      });
      await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "x" }] }),
        signal: AbortSignal.timeout(5_000),
      })
        .then((response) => response.text())
        .catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(process.child.exitCode, process.output()).toBeNull();
      const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
      expect(health.status).toBe(200);
    } finally {
      config.remove();
    }
  }, 20_000);

  // BUG: openAICompletion (OpenAIToAnthropic.response) turns a tool_use block's `name` and `id` into
  // strings with String(); an upstream object whose own `toString` is not a function makes String()
  // throw "Cannot convert object to primitive value". Translators promise never to throw.
  // Input: `{"content":[{"type":"tool_use","name":{"toString":1}}]}`.
  it("an Anthropic tool_use block with an object name does not throw (OpenAIToAnthropic.response)", () => {
    const translator = createOpenAIToAnthropic();
    translator.request({ model: "m", messages: [{ role: "user", content: "x" }] });
    const body = JSON.parse('{"content":[{"type":"tool_use","id":"t","name":{"toString":1}}]}') as unknown;
    expect(() => translator.response(body)).not.toThrow();
  });

  // BUG: statusForError looks error types up in plain object literals, so a streamed error whose type
  // is "constructor", "toString", "hasOwnProperty"… yields a function instead of a status; the client
  // then gets e.g. `invalid_request_error` for an upstream failure. Use Object.hasOwn (or a Map).
  // Input: a streamed `{"type":"error","error":{"type":"constructor","message":"x"}}`.
  it("an upstream error type named like an Object.prototype member maps to status 500", () => {
    for (const type of PROTOTYPE_KEYS) {
      expect(statusForError({ message: "x", type, code: null })).toBe(500);
    }
  });

  // BUG: SSE data that spans lines (legal: several `data:` lines) is written back as
  // `data: <data>\n\n` without a `data: ` prefix on each line, so the client parses a different
  // event (the second line becomes an unknown field). ReasoningStreamConverter does it for data that
  // is not JSON. Input: an event with data "not json\nsecond line".
  it("reasoning pass-through keeps multi-line event data intact", () => {
    const converter = separated({ modelType: "qwen3" });
    for (const frame of converter.event({ data: "not json\nsecond line" })) {
      expect(parseSse(frame).events.map((event) => event.data)).toEqual(["not json\nsecond line"]);
    }
  });

  // BUG: ReasoningStreamConverter.fail() writes an error frame even after the stream is over (the
  // upstream's `[DONE]` already passed, or end() was called): when an upstream sends `[DONE]` and
  // then its connection breaks, the client reads an error after `[DONE]`. The translators' fail()
  // writes nothing once done. Input: event({data:"[DONE]"}), then fail(502, "x").
  it("reasoning separation writes nothing after [DONE], not even on fail()", () => {
    const converter = separated({ modelType: "qwen3" });
    converter.event({ data: "[DONE]" });
    expect(converter.fail(502, "x")).toEqual([]);
  });

  // BUG: ResumeTracker.frame, for a continuation's chunks (the stream resumed on another backend),
  // reads `choice.delta` of the first choice without a null check: a chunk `{"choices":[null]}`
  // throws inside the relay's parser callback, an uncaught exception in the gateway process.
  // Input: frame('{"choices":[null]}', true).
  it("a continuation chunk with a null choice does not throw (StreamResume)", async () => {
    const { converter } = await resumed(true);
    expect(() => converter.event({ data: '{"choices":[null]}' })).not.toThrow();
  });

  // BUG: the same in ResumeTracker.frame (x-switchyard-stream-resume / stream_resume), for every
  // multi-line event of the first backend, JSON or not. Input: data "{\n\"id\":\"c\"}".
  it("stream-resume pass-through keeps multi-line event data intact", async () => {
    const { converter } = await resumed(false);
    const [frame] = converter.event({ data: '{\n"id":"c"}' });
    expect(parseSse(frame ?? "").events.map((event) => event.data)).toEqual(['{\n"id":"c"}']);
  });
});
