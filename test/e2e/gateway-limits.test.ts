/**
 * Input and upstream limits over real sockets (issue 10, "Production hardening"): oversized headers,
 * over-long URLs, bytes that are not HTTP, too many messages, and an upstream event stream that
 * never completes an event. Every refusal is a JSON body in the client's protocol; a broken upstream
 * ends the client's stream with an error event and leaves no lease held.
 */
import { once } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect } from "node:net";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { type RunningMock, startMock } from "../../src/mock/server.js";
import { eventually } from "../helpers/http.js";

const MAX_MESSAGES = 10;
const MAX_HEADER_BYTES = 8 * 1024;
const MAX_URL_BYTES = 2 * 1024;

const common = {
  port: 0,
  log_level: "silent",
  health_interval: 0,
  load_interval: 0,
  circuit_breaker_threshold: 0,
  max_retries: 0,
};

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * Writes `request` on a fresh socket in one write and reads the answer until the gateway closes the
 * connection: a raw socket sends what fetch would refuse to (oversized headers, broken HTTP).
 */
async function rawRequest(url: string, request: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  const received = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(request));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("end", () => {
      socket.destroy();
      resolve(Buffer.concat(chunks));
    });
    socket.once("close", () => resolve(Buffer.concat(chunks)));
    socket.once("error", (error) => (chunks.length > 0 ? resolve(Buffer.concat(chunks)) : reject(error)));
  });
  const text = received.toString("utf8");
  const split = text.indexOf("\r\n\r\n");
  expect(split, `a whole HTTP answer, got: ${text.slice(0, 200)}`).toBeGreaterThan(0);
  const [statusLine, ...headerLines] = text.slice(0, split).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return {
    status: Number(statusLine!.split(" ")[1]),
    headers,
    body: JSON.parse(text.slice(split + 4)),
  };
}

function expectOpenAIError(body: unknown, code: string): void {
  expect(body).toEqual({
    error: { message: expect.any(String), type: "invalid_request_error", param: null, code },
  });
}

function expectAnthropicError(body: unknown): void {
  expect(body).toEqual({
    type: "error",
    error: { type: "invalid_request_error", message: expect.any(String) },
  });
}

function messages(count: number) {
  return Array.from({ length: count }, (_, index) => ({
    role: index % 2 === 0 ? ("user" as const) : ("assistant" as const),
    content: `message ${index}`,
  }));
}

describe("request limits", () => {
  let mock: RunningMock;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    mock = await startMock({ port: 0, models: ["mock-model", "claude-mock"], logLevel: "silent" });
    gateway = buildGateway(
      gatewayConfigSchema.parse({
        ...common,
        max_header_bytes: MAX_HEADER_BYTES,
        max_url_bytes: MAX_URL_BYTES,
        max_messages: MAX_MESSAGES,
        backends: [
          { name: "oa", url: mock.url, models: ["mock-model"] },
          { name: "an", url: mock.url, kind: "anthropic", models: ["claude-mock"] },
        ],
      }),
    );
    url = await gateway.start();
  });

  afterAll(async () => {
    await gateway?.close();
    await mock?.close();
  });

  describe("headers", () => {
    it("answers headers over max_header_bytes with 431 and an OpenAI error body", async () => {
      const answer = await rawRequest(
        url,
        `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(MAX_HEADER_BYTES)}\r\n\r\n`,
      );
      expect(answer.status).toBe(431);
      expect(answer.headers["content-type"]).toBe("application/json");
      expect(answer.headers["x-request-id"]).toBeTruthy();
      expectOpenAIError(answer.body, "request_headers_too_large");
    });

    it("answers a Messages request with oversized headers in Anthropic's format", async () => {
      const answer = await rawRequest(
        url,
        `POST /v1/messages HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(MAX_HEADER_BYTES)}\r\nContent-Length: 2\r\n\r\n{}`,
      );
      expect(answer.status).toBe(431);
      expectAnthropicError(answer.body);
    });

    it("still answers a client that keeps sending headers far over the limit", async () => {
      const answer = await rawRequest(
        url,
        `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(512 * 1024)}\r\n\r\n`,
      );
      expect(answer.status).toBe(431);
      expectOpenAIError(answer.body, "request_headers_too_large");
    });

    it("accepts headers under the limit", async () => {
      const answer = await rawRequest(
        url,
        `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(MAX_HEADER_BYTES / 2)}\r\nConnection: close\r\n\r\n`,
      );
      expect(answer.status).toBe(200);
    });

    it("answers bytes that are not HTTP with 400 and a JSON body, and keeps serving", async () => {
      for (const request of [
        "NOT HTTP AT ALL\r\n\r\n",
        "GET /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      ]) {
        const answer = await rawRequest(url, request);
        expect(answer.status, request).toBe(400);
        expectOpenAIError(answer.body, "malformed_http_request");
      }
      expect((await fetch(`${url}/v1/models`)).status).toBe(200);
    });
  });

  describe("URLs", () => {
    it("answers a URL over max_url_bytes with 414 in the route's format", async () => {
      const long = "x".repeat(MAX_URL_BYTES);
      const openai = await fetch(`${url}/v1/chat/completions?pad=${long}`, { method: "POST", body: "{}" });
      expect(openai.status).toBe(414);
      expectOpenAIError(await openai.json(), "url_too_long");

      const unknown = await fetch(`${url}/nowhere/${long}`);
      expect(unknown.status).toBe(414);
      expectOpenAIError(await unknown.json(), "url_too_long");

      const anthropic = await fetch(`${url}/v1/messages?pad=${long}`, { method: "POST", body: "{}" });
      expect(anthropic.status).toBe(414);
      expectAnthropicError(await anthropic.json());
    });

    it("answers a URL longer than the header limit itself with a JSON refusal", async () => {
      const answer = await rawRequest(
        url,
        `GET /v1/models?pad=${"x".repeat(MAX_HEADER_BYTES)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      // 414 when Node hands over the packet with the request line (one write on loopback: nearly
      // always); 431 when the overflow shows only in a later chunk.
      expect([414, 431]).toContain(answer.status);
      expect((answer.body as { error: { type: string } }).error.type).toBe("invalid_request_error");
    });

    it("accepts a URL at the limit", async () => {
      const path = "/v1/models?pad=";
      const response = await fetch(`${url}${path}${"x".repeat(MAX_URL_BYTES - path.length)}`);
      expect(response.status).toBe(200);
    });
  });

  describe("messages", () => {
    it("refuses an OpenAI chat request over max_messages with 400 naming messages (openai SDK)", async () => {
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });
      const refused = await client.chat.completions
        .create({ model: "mock-model", messages: messages(MAX_MESSAGES + 1) })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      const error = refused as InstanceType<typeof OpenAI.BadRequestError>;
      expect(error.status).toBe(400);
      expect(error.code).toBe("array_above_max_length");
      expect(error.param).toBe("messages");
      expect(error.type).toBe("invalid_request_error");

      const atLimit = await client.chat.completions.create({
        model: "mock-model",
        messages: messages(MAX_MESSAGES),
      });
      expect(atLimit.choices[0]?.message.content).toBeTruthy();
    });

    it("refuses a streamed request before any stream starts", async () => {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "mock-model", stream: true, messages: messages(MAX_MESSAGES + 5) }),
      });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/json");
      const body = (await response.json()) as { error: { param: string; code: string } };
      expect(body.error).toMatchObject({ param: "messages", code: "array_above_max_length" });
    });

    it("refuses an Anthropic Messages request over max_messages in Anthropic's format (Anthropic SDK)", async () => {
      const client = new Anthropic({ baseURL: url, apiKey: "unused", maxRetries: 0 });
      const refused = await client.messages
        .create({ model: "claude-mock", max_tokens: 16, messages: messages(MAX_MESSAGES + 1) })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
      const error = refused as InstanceType<typeof Anthropic.BadRequestError>;
      expect(error.status).toBe(400);
      expectAnthropicError(error.error);

      const atLimit = await client.messages.create({
        model: "claude-mock",
        max_tokens: 16,
        messages: messages(MAX_MESSAGES - 1),
      });
      expect(atLimit.content.length).toBeGreaterThan(0);
    });
  });
});

describe("slow clients", () => {
  it("answers a request not received within client_timeout with 408 in our format", async () => {
    const gateway = buildGateway(gatewayConfigSchema.parse({ ...common, client_timeout: 1 }));
    try {
      const url = await gateway.start();
      const answer = await rawRequest(
        url,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{",
      );
      expect(answer.status).toBe(408);
      expectOpenAIError(answer.body, "request_timeout");
      const anthropic = await rawRequest(
        url,
        "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{",
      );
      expect(anthropic.status).toBe(408);
      expectAnthropicError(anthropic.body);
    } finally {
      await gateway.close();
    }
  });
});

/**
 * An upstream that answers every POST with an event stream of bytes and never a newline, as fast
 * as the gateway reads them, until the gateway hangs up. GETs (health probes, model lists) get a
 * model list.
 */
class EndlessLineUpstream {
  readonly server: Server;
  /** Streams started, and streams the gateway hung up on. */
  started = 0;
  closed = 0;

  constructor(model: string) {
    this.server = createServer((request, response) => {
      if (request.method !== "POST") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ object: "list", data: [{ id: model, object: "model" }] }));
        return;
      }
      request.resume();
      this.started++;
      response.once("close", () => this.closed++);
      response.writeHead(200, { "content-type": "text/event-stream" });
      this.#pour(response);
    });
  }

  #pour(response: ServerResponse): void {
    const chunk = Buffer.alloc(64 * 1024, "x");
    const write = () => {
      while (!response.destroyed && response.write(chunk)) {}
      if (!response.destroyed) response.once("drain", write);
    };
    write();
  }

  async listen(): Promise<string> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe("an upstream stream that never completes an event", () => {
  let openaiUpstream: EndlessLineUpstream;
  let anthropicUpstream: EndlessLineUpstream;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    openaiUpstream = new EndlessLineUpstream("endless-openai");
    anthropicUpstream = new EndlessLineUpstream("endless-claude");
    const [openaiUrl, anthropicUrl] = await Promise.all([
      openaiUpstream.listen(),
      anthropicUpstream.listen(),
    ]);
    gateway = buildGateway(
      gatewayConfigSchema.parse({
        ...common,
        backends: [
          { name: "oa", url: openaiUrl, models: ["endless-openai"] },
          { name: "an", url: anthropicUrl, kind: "anthropic", models: ["endless-claude"] },
        ],
      }),
    );
    url = await gateway.start();
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all([openaiUpstream?.close(), anthropicUpstream?.close()]);
  });

  async function streamText(path: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ ...(body as object), stream: true }),
    });
    expect(response.status).toBe(200);
    return response.text();
  }

  async function expectRecovered(upstream: EndlessLineUpstream): Promise<void> {
    await eventually(() => upstream.closed === upstream.started, 10_000);
    await eventually(
      () => gateway.context.registry.list().every((backend) => backend.inflight === 0),
      10_000,
    );
  }

  it("ends an OpenAI client's translated stream with an OpenAI error event and aborts the upstream", async () => {
    const text = await streamText("/v1/chat/completions", {
      model: "endless-claude",
      messages: [{ role: "user", content: "hi" }],
    });
    // Nothing of the upstream's garbage reached the client: only the error event.
    expect(text.length).toBeLessThan(4_096);
    const error = JSON.parse(text.trim().replace(/^data: /, "")) as {
      error: { type: string; message: string };
    };
    expect(error.error.type).toBe("server_error");
    expect(error.error.message).toContain("without completing an event");
    await expectRecovered(anthropicUpstream);
  }, 30_000);

  it("ends an Anthropic client's translated stream with an Anthropic error event", async () => {
    const text = await streamText("/v1/messages", {
      model: "endless-openai",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(text.length).toBeLessThan(4_096);
    const event = /event: error\ndata: (.*)\n/.exec(text);
    expect(event, text).not.toBeNull();
    expect(JSON.parse(event![1]!)).toMatchObject({ type: "error", error: { type: "api_error" } });
    await expectRecovered(openaiUpstream);
  }, 30_000);

  it("ends a resumable stream with an error event once no resumption helps", async () => {
    const before = openaiUpstream.started;
    const text = await streamText(
      "/v1/chat/completions",
      { model: "endless-openai", messages: [{ role: "user", content: "hi" }] },
      { "x-switchyard-stream-resume": "true" },
    );
    expect(text.length).toBeLessThan(4_096);
    expect(text).toContain('"upstream_failed"');
    expect(openaiUpstream.started).toBeGreaterThan(before);
    await expectRecovered(openaiUpstream);
  }, 30_000);
});
