/**
 * Every error the gateway answers with, through a real HTTP request to a real gateway process in
 * front of real mock processes with injected faults. Bodies must be OpenAI's error shape.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { validateOpenAI } from "../helpers/openapi.js";
import { writeTempConfig } from "../helpers/temp-config.js";

let gatewayUrl: string;
let config: ReturnType<typeof writeTempConfig>;

beforeAll(async () => {
  const [healthy, failing, slow, loading, dropping] = await Promise.all([
    startCli(["mock", "--port", "0", "--id", "healthy", "--models", "ok-model"]),
    startCli(["mock", "--port", "0", "--id", "failing", "--models", "failing-model", "--fail-rate", "1"]),
    startCli([
      "mock",
      "--port",
      "0",
      "--id",
      "slow",
      "--models",
      "slow-model",
      "--first-token-delay-ms",
      "5000",
    ]),
    startCli([
      "mock",
      "--port",
      "0",
      "--id",
      "loading",
      "--models",
      "loading-model",
      "--unavailable-for",
      "600",
    ]),
    startCli(["mock", "--port", "0", "--id", "dropping", "--models", "drop-model", "--drop-rate", "1"]),
  ]);
  const backend = (mock: CliProcess, model: string) => ({
    name: mock.ready[0]!.id,
    url: mock.ready[0]!.url,
    models: [model],
  });
  config = writeTempConfig({
    request_timeout: 1,
    max_retries: 2,
    body_limit: 4096,
    backends: [
      backend(healthy, "ok-model"),
      backend(failing, "failing-model"),
      backend(slow, "slow-model"),
      backend(loading, "loading-model"),
      backend(dropping, "drop-model"),
    ],
  });
  const gateway = await startCli(["gateway", "--port", "0", "--config", config.path, "--log-level", "error"]);
  gatewayUrl = gateway.ready[0]!.url;
});

afterAll(async () => {
  await stopAll();
  config?.remove();
});

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function post(path: string, body: string | object, headers: Record<string, string> = {}) {
  const response = await fetch(`${gatewayUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const json = (await response.json()) as ErrorBody;
  validateOpenAI("ErrorResponse", json);
  return { status: response.status, error: json.error, headers: response.headers };
}

const chat = (model: string, extra: object = {}) => ({
  model,
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

describe("gateway errors", () => {
  it("400 for malformed JSON", async () => {
    const { status, error } = await post("/v1/chat/completions", '{"model": "ok-model",');
    expect(status).toBe(400);
    expect(error).toMatchObject({ type: "invalid_request_error", code: "invalid_json" });
  });

  it("400 naming a missing model", async () => {
    const { status, error } = await post("/v1/chat/completions", {
      messages: [{ role: "user", content: "x" }],
    });
    expect(status).toBe(400);
    expect(error).toMatchObject({ code: "invalid_request", param: "model" });
  });

  it("400 naming a field of the wrong type", async () => {
    for (const [body, param] of [
      [chat("ok-model", { stream: "yes" }), "stream"],
      [{ model: "ok-model", messages: "hello" }, "messages"],
      [chat("ok-model", { temperature: "hot" }), "temperature"],
      [{ model: 42, messages: [] }, "model"],
      [{ model: "ok-model", input: {} }, "input"],
    ] as const) {
      const path = "input" in body ? "/v1/embeddings" : "/v1/chat/completions";
      const { status, error } = await post(path, body);
      expect(status).toBe(400);
      expect(error.param).toBe(param);
    }
  });

  it("400 when the body is not an object", async () => {
    expect((await post("/v1/chat/completions", "[1,2]")).status).toBe(400);
    expect((await post("/v1/completions", "")).status).toBe(400);
  });

  it("404 for an unknown model", async () => {
    const { status, error } = await post("/v1/chat/completions", chat("gpt-unknown"));
    expect(status).toBe(404);
    expect(error).toMatchObject({ code: "model_not_found", param: "model" });
  });

  it("404 for an unknown route and 405 for a wrong method", async () => {
    const unknown = await fetch(`${gatewayUrl}/v1/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ErrorBody).error.code).toBe("route_not_found");
    const wrongMethod = await fetch(`${gatewayUrl}/v1/chat/completions`);
    expect(wrongMethod.status).toBe(405);
    expect(((await wrongMethod.json()) as ErrorBody).error.code).toBe("method_not_allowed");
  });

  it("413 for a body over the limit", async () => {
    const { status, error } = await post(
      "/v1/chat/completions",
      chat("ok-model", { padding: "x".repeat(8192) }),
    );
    expect(status).toBe(413);
    expect(error.code).toBe("request_too_large");
  });

  it("502 naming the attempts when the upstream keeps failing", async () => {
    const { status, error } = await post("/v1/chat/completions", chat("failing-model"));
    expect(status).toBe(502);
    expect(error).toMatchObject({ type: "server_error", code: "upstream_failed" });
    expect(error.message).toContain("failing: HTTP 500");
  });

  it("503 when no backend of the model is healthy", async () => {
    const { status, error } = await post("/v1/chat/completions", chat("loading-model"));
    expect(status).toBe(503);
    expect(error.code).toBe("no_healthy_backend");
  });

  it("504 when the upstream does not answer in time", async () => {
    const { status, error } = await post("/v1/chat/completions", chat("slow-model"));
    expect(status).toBe(504);
    expect(error.code).toBe("upstream_timeout");
  });

  it("ends a stream cut mid-way with an error event", async () => {
    const response = await fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chat("drop-model", { stream: true })),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    const events = text.split("\n\n").filter((frame) => frame.startsWith("data: "));
    const last = JSON.parse(events.at(-1)!.slice("data: ".length)) as ErrorBody;
    validateOpenAI("ErrorResponse", last);
    expect(last.error.code).toBe("upstream_failed");
  });

  it("still serves healthy models and leaves nothing in flight", async () => {
    const response = await fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chat("ok-model")),
    });
    expect(response.status).toBe(200);
    const status = (await (await fetch(`${gatewayUrl}/status`)).json()) as { total_inflight: number };
    expect(status.total_inflight).toBe(0);
  });
});
