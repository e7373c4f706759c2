import { describe, expect, it } from "vitest";
import { Passthrough } from "../../../src/protocol/translate/passthrough.js";
import { validateOpenAI } from "../../helpers/openapi.js";
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
    [
      "responses",
      'event: error\ndata: {"type":"error","code":"upstream_failed","message":"gone","param":null,"sequence_number":0}\n\n',
    ],
  ] as const)("fail() speaks %s", (protocol, frame) => {
    expect(new Passthrough(protocol, "/").stream().fail(502, "gone")).toEqual([frame]);
  });

  describe("responses", () => {
    const created = '{"type":"response.created","sequence_number":0,"response":{"id":"resp_1"}}';
    const delta =
      '{"type":"response.output_text.delta","sequence_number":7,"delta":"\\"sequence_number\\":99"}';
    const completed = '{"type":"response.completed","sequence_number":8,"response":{"id":"resp_1"}}';

    it("writes named events, naming those a backend left unnamed after their type", () => {
      const converter = new Passthrough("responses", "/v1/responses").stream();
      expect(converter.event({ event: "response.created", data: created })).toEqual([
        `event: response.created\ndata: ${created}\n\n`,
      ]);
      expect(converter.event({ data: delta })).toEqual([
        `event: response.output_text.delta\ndata: ${delta}\n\n`,
      ]);
    });

    it("numbers its error event after the last event seen (text inside strings does not count)", () => {
      const converter = new Passthrough("responses", "/v1/responses").stream();
      converter.event({ event: "response.created", data: created });
      converter.event({ event: "response.output_text.delta", data: delta });
      const [frame] = converter.fail(502, "gone");
      const event = JSON.parse(parseSse([frame!])[0]!.data) as { sequence_number: number };
      expect(event.sequence_number).toBe(8);
      validateOpenAI("ResponseStreamEvent", event);
    });

    it.each(["response.completed", "response.incomplete", "response.failed"])(
      "adds nothing after %s",
      (type) => {
        const converter = new Passthrough("responses", "/v1/responses").stream();
        converter.event({ event: type, data: completed.replace("response.completed", type) });
        expect(converter.fail(502, "gone")).toEqual([]);
      },
    );
  });
});
