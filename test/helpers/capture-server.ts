/**
 * A stand-in backend that records what a real client sends (method, path, headers, JSON body) and
 * answers just enough for the client to finish its turn: an Anthropic Messages answer (SSE or JSON),
 * a Responses answer (SSE or JSON), a chat completion, a count_tokens figure, a model list. Used to
 * capture the fixtures in test/fixtures/agent-requests/ and to see a client's requests in a test.
 */
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { startFakeUpstream } from "./fake-upstream.js";

export interface CapturedRequest {
  method: string;
  /** Path with its query string, e.g. `/v1/messages?beta=true`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
}

export interface CaptureServer {
  url: string;
  readonly requests: readonly CapturedRequest[];
  close(): Promise<void>;
}

/** The text every answer carries, so a test can find it in the client's output. */
export const CAPTURE_ANSWER = "captured answer";

/** Requests kept at most; a client retrying in a loop must not grow the list without bound. */
const MAX_REQUESTS = 200;

function parseBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function sse(response: ServerResponse, events: Array<{ event: string; data: unknown }>): void {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const { event, data } of events) response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  response.end();
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function anthropicMessage(model: string) {
  return {
    id: "msg_captured",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text: CAPTURE_ANSWER }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 2 },
  };
}

function answerMessages(response: ServerResponse, body: { model?: string; stream?: boolean }): void {
  const message = anthropicMessage(body.model ?? "unknown");
  if (!body.stream) {
    json(response, 200, message);
    return;
  }
  sse(response, [
    {
      event: "message_start",
      data: {
        type: "message_start",
        message: {
          ...message,
          content: [],
          stop_reason: null,
          usage: { input_tokens: 10, output_tokens: 0 },
        },
      },
    },
    {
      event: "content_block_start",
      data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    },
    {
      event: "content_block_delta",
      data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: CAPTURE_ANSWER } },
    },
    { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
    {
      event: "message_delta",
      data: {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: 2 },
      },
    },
    { event: "message_stop", data: { type: "message_stop" } },
  ]);
}

function responseObject(model: string, status: "in_progress" | "completed") {
  const item = {
    id: "msg_captured",
    type: "message",
    status: "completed",
    role: "assistant",
    content: [{ type: "output_text", text: CAPTURE_ANSWER, annotations: [] }],
  };
  return {
    id: "resp_captured",
    object: "response",
    created_at: 0,
    status,
    model,
    output: status === "completed" ? [item] : [],
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
    usage:
      status === "completed"
        ? {
            input_tokens: 10,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: 2,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: 12,
          }
        : null,
  };
}

function answerResponses(response: ServerResponse, body: { model?: string; stream?: boolean }): void {
  const model = body.model ?? "unknown";
  const done = responseObject(model, "completed");
  if (!body.stream) {
    json(response, 200, done);
    return;
  }
  const item = done.output[0]!;
  const part = item.content[0]!;
  const events = [
    { type: "response.created", response: responseObject(model, "in_progress") },
    { type: "response.in_progress", response: responseObject(model, "in_progress") },
    {
      type: "response.output_item.added",
      output_index: 0,
      item: { ...item, status: "in_progress", content: [] },
    },
    {
      type: "response.content_part.added",
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      part: { ...part, text: "" },
    },
    {
      type: "response.output_text.delta",
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      delta: part.text,
    },
    {
      type: "response.output_text.done",
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      text: part.text,
    },
    { type: "response.content_part.done", item_id: item.id, output_index: 0, content_index: 0, part },
    { type: "response.output_item.done", output_index: 0, item },
    { type: "response.completed", response: done },
  ];
  sse(
    response,
    events.map((data, sequence_number) => ({ event: data.type, data: { ...data, sequence_number } })),
  );
}

function answerChat(response: ServerResponse, body: { model?: string }): void {
  json(response, 200, {
    id: "chatcmpl-captured",
    object: "chat.completion",
    created: 0,
    model: body.model ?? "unknown",
    choices: [{ index: 0, message: { role: "assistant", content: CAPTURE_ANSWER }, finish_reason: "stop" }],
    usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
  });
}

type Answer = (response: ServerResponse, body: { model?: string; stream?: boolean }) => void;

const routes: Record<string, Answer> = {
  "/v1/messages/count_tokens": (response) => json(response, 200, { input_tokens: 10 }),
  "/v1/messages": answerMessages,
  "/v1/responses": answerResponses,
  "/v1/chat/completions": answerChat,
  "/v1/models": (response) => json(response, 200, { object: "list", data: [] }),
};

function answer(response: ServerResponse, request: CapturedRequest): void {
  const route = request.path.split("?")[0]!;
  const body = (typeof request.body === "object" && request.body !== null ? request.body : {}) as {
    model?: string;
    stream?: boolean;
  };
  const handler = routes[route];
  if (request.method === "HEAD" || (request.method === "GET" && route === "/")) json(response, 200, {});
  else if (handler) handler(response, body);
  else
    json(response, 404, {
      error: { message: `not captured: ${request.method} ${route}`, type: "not_found" },
    });
}

export async function startCaptureServer(): Promise<CaptureServer> {
  const requests: CapturedRequest[] = [];
  const upstream = await startFakeUpstream((request, response, text) => {
    const captured: CapturedRequest = {
      method: request.method ?? "GET",
      path: request.url ?? "/",
      headers: request.headers,
      body: parseBody(text),
    };
    if (requests.length < MAX_REQUESTS) requests.push(captured);
    answer(response, captured);
  });
  return { url: upstream.url, requests, close: () => upstream.close() };
}

/** Header names whose values are credentials; fixtures never keep them. */
const SECRET_HEADERS = new Set(["authorization", "x-api-key", "api-key", "cookie", "proxy-authorization"]);

/**
 * A captured request as a fixture: credentials removed, and the run's random port and temporary
 * folders replaced by fixed placeholders so that a re-capture shows only what the client changed.
 */
export function toFixture(request: CapturedRequest, replacements: Array<[RegExp, string]>): CapturedRequest {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!SECRET_HEADERS.has(name)) headers[name] = value;
  }
  let text = JSON.stringify({ ...request, headers });
  for (const [pattern, placeholder] of replacements) text = text.replace(pattern, placeholder);
  return JSON.parse(text) as CapturedRequest;
}
