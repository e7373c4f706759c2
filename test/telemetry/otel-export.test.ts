import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { exportChoice, startTelemetry } from "../../src/telemetry/telemetry.js";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.js";

/** An OTLP/HTTP endpoint that keeps the JSON the exporters post. */
interface Receiver {
  url: string;
  traces: OtlpTraces[];
  metrics: OtlpMetrics[];
  close(): Promise<void>;
}

type OtlpValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};
type OtlpAttribute = { key: string; value: OtlpValue };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: OtlpAttribute[];
  status?: { code?: number };
}
interface OtlpTraces {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: Array<{ spans: OtlpSpan[] }>;
  }>;
}
interface OtlpMetrics {
  resourceMetrics: Array<{
    scopeMetrics: Array<{
      metrics: Array<{
        name: string;
        histogram?: {
          dataPoints: Array<{ attributes: OtlpAttribute[]; sum?: number; count?: string | number }>;
        };
      }>;
    }>;
  }>;
}

async function startReceiver(): Promise<Receiver> {
  const traces: OtlpTraces[] = [];
  const metrics: OtlpMetrics[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      if (request.url === "/v1/traces") traces.push(body);
      if (request.url === "/v1/metrics") metrics.push(body);
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    traces,
    metrics,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const attribute = (span: { attributes: OtlpAttribute[] }, key: string): unknown => {
  const value = span.attributes.find((entry) => entry.key === key)?.value;
  if (!value) return undefined;
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.boolValue ?? value.doubleValue;
};

const CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN = "00f067aa0ba902b7";

function completion(model: string) {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
  };
}

/** What a health probe asks for. */
function models(response: import("node:http").ServerResponse): void {
  response.writeHead(200, { "content-type": "application/json" });
  response.end(JSON.stringify({ object: "list", data: [{ id: "m1", object: "model" }] }));
}

describe("exportChoice", () => {
  it("exports nothing unless an OTLP endpoint is named", () => {
    expect(exportChoice({})).toEqual({ traces: false, metrics: false });
    expect(exportChoice({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toEqual({
      traces: true,
      metrics: true,
    });
    expect(exportChoice({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" })).toEqual({
      traces: true,
      metrics: false,
    });
    expect(
      exportChoice({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_METRICS_EXPORTER: "none" }),
    ).toEqual({
      traces: true,
      metrics: false,
    });
    expect(exportChoice({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" })).toEqual(
      {
        traces: false,
        metrics: false,
      },
    );
  });
});

describe("sampling", () => {
  it("passes a sampled-out request's trace on unsampled, with no attempt span", async () => {
    const before = process.env.OTEL_TRACES_SAMPLER;
    // The SDK reads its sampler from the process's environment, as every OpenTelemetry SDK does.
    process.env.OTEL_TRACES_SAMPLER = "always_off";
    const receiver = await startReceiver();
    try {
      const telemetry = await startTelemetry(
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces` },
        "t",
      );
      const trace = telemetry!.startRequest({
        endpoint: "chat",
        traceparent: undefined,
        tracestate: undefined,
        startedAt: Date.now(),
        stream: false,
      });
      const attempt = trace.startAttempt({
        backend: "b1",
        kind: "openai",
        origin: "http://127.0.0.1:9",
        model: "m1",
        strategy: "round_robin",
      });
      expect(attempt.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      attempt.end("success");
      trace.end({
        status: 200,
        requestModel: "m1",
        responseModel: "m1",
        answeredBy: "b1",
        attempts: 1,
        inputTokens: 1,
        outputTokens: 1,
        firstByteMs: 1,
        durationMs: 2,
        clientGone: false,
      });
      await telemetry!.shutdown();
      expect(receiver.traces).toHaveLength(0);
    } finally {
      if (before === undefined) delete process.env.OTEL_TRACES_SAMPLER;
      else process.env.OTEL_TRACES_SAMPLER = before;
      await receiver.close();
    }
  });
});

describe("OpenTelemetry export", () => {
  let gateway: Gateway | undefined;
  let receiver: Receiver | undefined;
  const upstreams: FakeUpstream[] = [];
  const seen: Array<string | undefined> = [];

  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await receiver?.close();
    receiver = undefined;
    await Promise.all(upstreams.splice(0).map((upstream) => upstream.close()));
    seen.length = 0;
  });

  async function backends() {
    const failing = await startFakeUpstream((request, response) => {
      if (request.method !== "POST") return models(response);
      seen.push(request.headers.traceparent as string | undefined);
      response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { message: "down" } }));
    });
    const good = await startFakeUpstream((request, response, body) => {
      if (request.method !== "POST") return models(response);
      seen.push(request.headers.traceparent as string | undefined);
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(completion(JSON.parse(body).model)));
    });
    upstreams.push(failing, good);
    return [
      { name: "failing", url: failing.url, models: ["m1"] },
      { name: "good", url: good.url, models: ["m1"] },
    ];
  }

  async function start(env: NodeJS.ProcessEnv): Promise<string> {
    const config = gatewayConfigSchema.parse({
      host: "127.0.0.1",
      port: 0,
      strategy: "round_robin",
      health_interval: 3600,
      backends: await backends(),
    });
    gateway = buildGateway(config, pino({ level: "silent" }), { env });
    return gateway.start();
  }

  async function chat(url: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ model: "m1", messages: [{ role: "user", content: "hello" }] }),
    });
    expect(response.status).toBe(200);
    await response.json();
  }

  it("sends one server span per request with an attempt span per upstream try, GenAI attributes and the client's trace", async () => {
    receiver = await startReceiver();
    const url = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRIC_EXPORT_INTERVAL: "60000",
    });
    for (let i = 0; i < 2; i++) await chat(url, { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` });
    await gateway?.close();
    gateway = undefined;

    const spans = receiver.traces.flatMap((batch) =>
      batch.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)),
    );
    const requests = spans.filter((span) => span.kind === 2);
    const attempts = spans.filter((span) => span.kind === 3);
    expect(requests).toHaveLength(2);
    // A request that starts on the failing backend fails over to the good one: two attempts.
    const attemptsNoted = requests.reduce(
      (sum, request) => sum + Number(attribute(request, "switchyard.attempts")),
      0,
    );
    expect(attempts).toHaveLength(attemptsNoted);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    for (const request of requests) {
      expect(request.traceId).toBe(CLIENT_TRACE);
      expect(request.parentSpanId).toBe(CLIENT_SPAN);
      expect(request.name).toBe("chat m1");
      expect(attribute(request, "gen_ai.operation.name")).toBe("chat");
      expect(attribute(request, "gen_ai.provider.name")).toBe("openai");
      expect(attribute(request, "gen_ai.request.model")).toBe("m1");
      expect(attribute(request, "gen_ai.response.model")).toBe("m1");
      expect(attribute(request, "gen_ai.usage.input_tokens")).toBe(7);
      expect(attribute(request, "gen_ai.usage.output_tokens")).toBe(3);
      expect(attribute(request, "http.response.status_code")).toBe(200);
      expect(attribute(request, "switchyard.backend")).toBe("good");
      expect(attribute(request, "switchyard.strategy")).toBe("round_robin");
      expect(typeof attribute(request, "switchyard.ttft_ms")).toBe("number");
      const children = attempts.filter((attempt) => attempt.parentSpanId === request.spanId);
      expect(children.length).toBe(attribute(request, "switchyard.attempts"));
      expect(children.at(-1) && attribute(children.at(-1)!, "switchyard.verdict")).toBe("success");
    }
    const failed = attempts.find((attempt) => attribute(attempt, "switchyard.backend") === "failing");
    expect(failed?.status?.code).toBe(2);
    expect(attribute(failed!, "http.response.status_code")).toBe(500);
    // Each backend was told its attempt span as the parent, in the client's trace.
    expect(seen).toHaveLength(attempts.length);
    expect(new Set(seen)).toEqual(
      new Set(attempts.map((attempt) => `00-${CLIENT_TRACE}-${attempt.spanId}-01`)),
    );

    const names = new Set(
      receiver.metrics.flatMap((batch) =>
        batch.resourceMetrics.flatMap((resource) =>
          resource.scopeMetrics.flatMap((scope) => scope.metrics.map((metric) => metric.name)),
        ),
      ),
    );
    expect(names).toEqual(
      new Set([
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.duration",
        "gen_ai.server.request.duration",
        "gen_ai.server.time_to_first_token",
      ]),
    );
    const usage = receiver.metrics
      .flatMap((batch) => batch.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)))
      .find((metric) => metric.name === "gen_ai.client.token.usage");
    const byType = new Map(
      usage?.histogram?.dataPoints.map((point) => [attribute(point, "gen_ai.token.type"), point.sum]) ?? [],
    );
    expect(byType.get("input")).toBe(14);
    expect(byType.get("output")).toBe(6);
  });

  it("starts a new trace when the client sent none", async () => {
    receiver = await startReceiver();
    const url = await start({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces` });
    await chat(url);
    await gateway?.close();
    gateway = undefined;
    const spans = receiver.traces.flatMap((batch) =>
      batch.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)),
    );
    const request = spans.find((span) => span.kind === 2);
    expect(request?.parentSpanId ?? "").toBe("");
    expect(seen.every((header) => header?.startsWith(`00-${request?.traceId}-`))).toBe(true);
    expect(receiver.metrics).toHaveLength(0);
  });

  it("loads nothing and adds no header when export is off", async () => {
    const url = await start({});
    expect(gateway?.context.telemetry).toBeNull();
    await chat(url);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((header) => header === undefined)).toBe(true);
  });
});
