import { describe, expect, it } from "vitest";
import { planPhases } from "../../bench/overhead-phases.js";
import {
  MODEL,
  NATIVE_MODEL,
  nativeMarkProblem,
  parseFlavours,
  probeProblem,
  protocolRequest,
} from "../../bench/overhead-protocols.js";
import { gatewayConfig } from "../../bench/overhead-targets.js";

const body = (flavour: Parameters<typeof protocolRequest>[0], stream: boolean) =>
  JSON.parse(String(protocolRequest(flavour, stream).body)) as Record<string, unknown>;

describe("parseFlavours", () => {
  it("keeps the canonical order and always runs chat, the baseline", () => {
    expect(parseFlavours("messages,responses", false)).toEqual(["chat", "responses", "messages"]);
    expect(parseFlavours("chat", false)).toEqual(["chat"]);
    expect(parseFlavours("responses-native", false)).toEqual(["chat", "responses-native"]);
  });

  it("with --native adds the native flavour of each API listed", () => {
    expect(parseFlavours("chat,responses,messages", true)).toEqual([
      "chat",
      "responses",
      "messages",
      "responses-native",
      "messages-native",
    ]);
    expect(parseFlavours("messages", true)).toEqual(["chat", "messages", "messages-native"]);
    expect(parseFlavours("chat", true)).toEqual(["chat"]);
  });

  it("names an unknown protocol", () => {
    expect(parseFlavours("chat,grpc", false)).toMatch(/unknown protocol "grpc"/);
  });
});

describe("protocolRequest", () => {
  it("sends the Responses API the short prompt with store: false", () => {
    const spec = protocolRequest("responses", true);
    expect(spec.path).toBe("/v1/responses");
    expect(spec.stream).toBe(true);
    expect(body("responses", true)).toEqual({
      model: MODEL,
      input: "Say hello.",
      max_output_tokens: 16,
      stream: true,
      store: false,
    });
    expect(body("responses-store", false).store).toBe(true);
  });

  it("sends Messages with anthropic-version", () => {
    const spec = protocolRequest("messages", false);
    expect(spec.path).toBe("/v1/messages");
    expect(spec.headers?.["anthropic-version"]).toBe("2023-06-01");
    expect(body("messages", false)).toEqual({
      model: MODEL,
      max_tokens: 16,
      messages: [{ role: "user", content: "Say hello." }],
      stream: false,
    });
  });

  it("asks the native backend entry's model for native flavours, and chat as before", () => {
    expect(body("responses-native", true).model).toBe(NATIVE_MODEL);
    expect(body("messages-native", true).model).toBe(NATIVE_MODEL);
    expect(protocolRequest("chat", true).path).toBe("/v1/chat/completions");
    expect(body("chat", false)).toMatchObject({ model: MODEL, max_tokens: 16, stream: false });
  });
});

describe("probeProblem", () => {
  it("wants each API's end of stream", () => {
    expect(probeProblem("chat", true, "data: {}\n\ndata: [DONE]\n\n")).toBeUndefined();
    expect(probeProblem("responses", true, "event: response.completed\ndata: {}\n\n")).toBeUndefined();
    expect(probeProblem("responses", true, "event: response.failed\ndata: {}\n\n")).toMatch(
      /response\.completed/,
    );
    expect(probeProblem("messages-native", true, "event: message_stop\ndata: {}\n\n")).toBeUndefined();
    expect(probeProblem("messages", true, "data: [DONE]\n\n")).toMatch(/message_stop/);
  });

  it("wants each API's JSON object", () => {
    expect(probeProblem("responses", false, '{"object":"response","status":"completed"}')).toBeUndefined();
    expect(probeProblem("responses", false, '{"object":"chat.completion"}')).toMatch(
      /not a responses object/,
    );
    expect(probeProblem("messages", false, '{"type":"message"}')).toBeUndefined();
    expect(probeProblem("chat", false, '{"object":"chat.completion"}')).toBeUndefined();
    expect(probeProblem("chat", false, "<html>")).toMatch(/not JSON/);
  });
});

describe("nativeMarkProblem", () => {
  it("wants the mock's mark of its API on a native answer, and nothing on the others", () => {
    expect(nativeMarkProblem("messages-native", { "x-mock-native": "messages" })).toBeUndefined();
    expect(nativeMarkProblem("responses-native", {})).toMatch(/translated it instead of piping it/);
    expect(nativeMarkProblem("responses-native", { "x-mock-native": "messages" })).toMatch(
      /x-mock-native: responses/,
    );
    expect(nativeMarkProblem("messages", {})).toBeUndefined();
  });
});

describe("planPhases", () => {
  const options = { concurrency: 64, rate: 1000, precise: true };
  const names = (plans: ReturnType<typeof planPhases>) =>
    plans.map((plan) => `${plan.protocol} ${plan.payload} ${plan.loadLabel}`);

  it("is the four chat phases of before for chat alone", () => {
    expect(names(planPhases("direct", options, ["chat"], 500))).toEqual([
      "chat json 64 conn",
      "chat json 1000/s",
      "chat stream 64 conn",
      "chat stream 1000/s",
    ]);
  });

  it("adds each protocol closed loop and at the protocol rate, with chat at both rates", () => {
    const plans = planPhases("gateway", options, ["chat", "responses", "messages"], 500);
    expect(names(plans).slice(0, 7)).toEqual([
      "chat json 64 conn",
      "responses json 64 conn",
      "messages json 64 conn",
      "chat json 1000/s",
      "chat json 500/s",
      "responses json 500/s",
      "messages json 500/s",
    ]);
    expect(plans).toHaveLength(14);
    expect(plans.find((plan) => plan.loadLabel === "500/s")?.mode).toEqual({
      kind: "open",
      rate: 500,
      precise: true,
    });
  });

  it("runs one open-loop rate when the protocol rate is --rate", () => {
    const plans = planPhases("gateway", { ...options, rate: 500 }, ["chat", "responses"], 500);
    expect(names(plans)).toEqual([
      "chat json 64 conn",
      "responses json 64 conn",
      "chat json 500/s",
      "responses json 500/s",
      "chat stream 64 conn",
      "responses stream 64 conn",
      "chat stream 500/s",
      "responses stream 500/s",
    ]);
  });
});

describe("gatewayConfig", () => {
  const variant = { state: "memory" as const, workers: 1, cap: 0, accessLog: false };

  it("is the chat backend alone without native flavours", () => {
    const config = gatewayConfig("http://127.0.0.1:1", variant, false) as { backends: unknown[] };
    expect(config.backends).toEqual([
      { name: "bench-mock", url: "http://127.0.0.1:1", models: [MODEL], max_connections: 0 },
    ]);
  });

  it("adds the same mock declaring native APIs under the native model", () => {
    const config = gatewayConfig("http://127.0.0.1:1", variant, true) as { backends: unknown[] };
    expect(config.backends[1]).toEqual({
      name: "bench-mock-native",
      url: "http://127.0.0.1:1",
      models: [NATIVE_MODEL],
      max_connections: 0,
      native_apis: ["responses", "messages"],
    });
  });
});
