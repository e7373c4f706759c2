import { describe, expect, it } from "vitest";
import { Passthrough } from "../../../src/protocol/translate/passthrough.js";
import { convert, parseSse } from "./helpers.js";

describe("passthrough", () => {
  it("returns bodies unchanged, on the path it was given", () => {
    const translator = new Passthrough("openai", "/v1/embeddings");
    const body = { model: "m", input: "x", extra: [1] };
    expect(translator.request(body)).toEqual({ ok: true, body, path: "/v1/embeddings", headers: {} });
    expect(translator.response(body)).toBe(body);
    expect(translator.error(500, "text")).toBe("text");
  });

  it("writes each parsed event back as an equivalent frame", () => {
    const upstream =
      'event: message_start\ndata: {"type":"message_start"}\n\n' +
      "data: line one\ndata: line two\n\n" +
      "data: [DONE]\n\n";
    const messages = parseSse([upstream]);
    const out = convert(new Passthrough("anthropic", "/v1/messages").stream(), messages);
    expect(out).toBe(upstream);
    expect(parseSse([out])).toEqual(messages);
  });

  it.each([
    [
      "openai",
      'data: {"error":{"message":"gone","type":"server_error","param":null,"code":"upstream_failed"}}\n\n',
    ],
    ["anthropic", 'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"gone"}}\n\n'],
  ] as const)("fail() speaks %s", (protocol, frame) => {
    expect(new Passthrough(protocol, "/").stream().fail(502, "gone")).toEqual([frame]);
  });
});
