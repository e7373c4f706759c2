/**
 * ResponsesToChat beyond the golden fixtures: namespace names both ways, custom tools round trip, hosted tools, the sealed
 * reasoning round trip with the real sealer, `onResponse`, options echoed, errors and refusals.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createReasoningSealer } from "../../../src/protocol/responses/sealed-reasoning.js";
import type {
  ResponsesCustomToolCallItem,
  ResponsesFunctionCallItem,
  ResponsesReasoningItem,
  ResponsesResponse,
} from "../../../src/protocol/responses/types.js";
import type { OpenAIChatRequest } from "../../../src/protocol/translate/openai-types.js";
import {
  ResponsesToChat,
  type ResponsesTranslatorOptions,
} from "../../../src/protocol/translate/responses-to-chat.js";
import { flatToolName } from "../../../src/protocol/translate/responses-to-chat-tools.js";
import type { RequestTranslation } from "../../../src/protocol/translate/translator.js";
import { validateOpenAI } from "../../helpers/openapi.js";
import { convert } from "./helpers.js";
import { finalResponse, responsesOptions } from "./responses-helpers.js";

function chatBody(result: RequestTranslation): OpenAIChatRequest {
  expect(result.ok).toBe(true);
  return (result as { body: OpenAIChatRequest }).body;
}

function refusal(result: RequestTranslation): { status: number; param: unknown; message: string } {
  expect(result.ok).toBe(false);
  const { status, body } = result as { status: number; body: { error: { param: unknown; message: string } } };
  validateOpenAI("ErrorResponse", body);
  return { status, param: body.error.param, message: body.error.message };
}

function completion(message: Record<string, unknown>, finish = "stop") {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish }],
  };
}

function chunk(delta: Record<string, unknown>, finish: string | null = null) {
  const data = {
    id: "c",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
  return { data: JSON.stringify(data) };
}

const namespace = (name: string, fn: string) => ({
  type: "namespace",
  name,
  description: "group",
  tools: [{ type: "function", name: fn, parameters: { type: "object" } }],
});

describe("namespace tools", () => {
  it("flatten to valid chat names and come back as name + namespace, then flatten again from input", () => {
    const long = `mcp__${"a".repeat(70)}`;
    const cases: Array<[string, string]> = [
      ["mcp__docs", "search"],
      [long, "fetch"],
      ["my.server", "do-it"],
    ];
    for (const [ns, fn] of cases) {
      const translator = new ResponsesToChat(responsesOptions());
      const body = chatBody(translator.request({ model: "m", input: "hi", tools: [namespace(ns, fn)] }));
      const flat = body.tools![0]!.function.name;
      expect(flat).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect(flat).toBe(flatToolName(ns, fn));
      const response = translator.response(
        completion({
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: flat, arguments: "{}" } }],
        }),
      );
      const call = response.output[0] as ResponsesFunctionCallItem;
      expect(call).toMatchObject({ type: "function_call", name: fn, namespace: ns, call_id: "call_1" });
      const next = chatBody(new ResponsesToChat(responsesOptions()).request({ model: "m", input: [call] }));
      expect(next.messages[0]).toMatchObject({
        role: "assistant",
        tool_calls: [{ function: { name: flat } }],
      });
    }
    expect(flatToolName("a.b", "c")).not.toBe(flatToolName("a_b", "c"));
  });

  it("map back in a stream, from the added item on", () => {
    const translator = new ResponsesToChat(responsesOptions());
    translator.request({ model: "m", input: "hi", tools: [namespace("mcp__docs", "search")], stream: true });
    const sse = convert(translator.stream(), [
      chunk({
        tool_calls: [{ index: 0, id: "call_1", function: { name: "mcp__docs__search", arguments: "{}" } }],
      }),
      chunk({}, "tool_calls"),
      { data: "[DONE]" },
    ]);
    expect(finalResponse(sse).output).toEqual([
      expect.objectContaining({
        name: "search",
        namespace: "mcp__docs",
        arguments: "{}",
        status: "completed",
      }),
    ]);
    expect(sse).toContain(
      '"item":{"id":"fc_gen2","type":"function_call","status":"in_progress","arguments":"","call_id":"call_1","name":"search","namespace":"mcp__docs"}',
    );
  });

  it("refuses two tools that end up with one chat name", () => {
    const result = new ResponsesToChat(responsesOptions()).request({
      model: "m",
      input: "hi",
      tools: [{ type: "function", name: "mcp__docs__search" }, namespace("mcp__docs", "search")],
    });
    expect(refusal(result)).toMatchObject({ status: 400, param: "tools[1]" });
  });
});

describe("custom tools", () => {
  const patch = '*** Begin Patch\n*** Add File: a.txt\n+"quoted" \\ and ünïcode\n*** End Patch';
  const tools = [{ type: "custom", name: "apply_patch", format: { type: "text" } }];

  it("round trip: a chat call comes out as custom_tool_call, and it and its output go back in as sent", () => {
    const translator = new ResponsesToChat(responsesOptions());
    const body = chatBody(translator.request({ model: "m", input: "hi", tools }));
    expect(body.tools![0]!.function.parameters).toEqual({
      type: "object",
      properties: { input: { type: "string", description: "free-form text" } },
      required: ["input"],
    });
    const args = JSON.stringify({ input: patch });
    const response = translator.response(
      completion({
        content: null,
        tool_calls: [{ id: "call_p", type: "function", function: { name: "apply_patch", arguments: args } }],
      }),
    );
    validateOpenAI("Response", response);
    const call = response.output[0] as ResponsesCustomToolCallItem;
    expect(call).toMatchObject({
      type: "custom_tool_call",
      call_id: "call_p",
      name: "apply_patch",
      input: patch,
    });
    const next = chatBody(
      new ResponsesToChat(responsesOptions()).request({
        model: "m",
        tools,
        input: [call, { type: "custom_tool_call_output", call_id: "call_p", output: "Success." }],
      }),
    );
    expect(next.messages).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_p", type: "function", function: { name: "apply_patch", arguments: args } }],
      },
      { role: "tool", tool_call_id: "call_p", content: "Success." },
    ]);
  });

  it("takes arguments that are not {input} JSON as the input itself", () => {
    const translator = new ResponsesToChat(responsesOptions());
    translator.request({ model: "m", input: "hi", tools });
    const response = translator.response(
      completion({
        content: null,
        tool_calls: [{ id: "c", type: "function", function: { name: "apply_patch", arguments: "raw text" } }],
      }),
    );
    expect(response.output[0]).toMatchObject({ type: "custom_tool_call", input: "raw text" });
  });

  it("a stream cut inside a custom call gives no half-decoded input", () => {
    const translator = new ResponsesToChat(responsesOptions());
    translator.request({ model: "m", input: "hi", tools, stream: true });
    const converter = translator.stream();
    const frames = [
      chunk({
        tool_calls: [{ index: 0, id: "c", function: { name: "apply_patch", arguments: '{"input":"ab' } }],
      }),
    ].flatMap((m) => converter.event(m));
    frames.push(...converter.fail(502, "reset"));
    const sse = frames.join("");
    expect(sse).not.toContain("custom_tool_call_input.delta");
    expect(finalResponse(sse).output).toEqual([expect.objectContaining({ input: "", status: "incomplete" })]);
  });

  it("refuses a custom_tool_call whose input is not a string", () => {
    const result = new ResponsesToChat(responsesOptions()).request({
      model: "m",
      input: [{ type: "custom_tool_call", call_id: "c", name: "apply_patch", input: { patch: 1 } }],
    });
    expect(refusal(result)).toMatchObject({ status: 400, param: "input[0].input" });
  });
});

describe("hosted tools", () => {
  const tools = [
    { type: "function", name: "shell" },
    { type: "web_search" },
    { type: "mcp", server_label: "github", server_url: "https://mcp.example" },
    {
      type: "namespace",
      name: "ns",
      description: "",
      tools: [
        { type: "image_generation", name: "patch" },
        { type: "function", name: "f" },
      ],
    },
    { type: "code_interpreter", container: { type: "auto" } },
  ];

  it("are left out and listed by default", () => {
    const translator = new ResponsesToChat(responsesOptions());
    expect(translator.droppedTools).toEqual([]);
    const body = chatBody(translator.request({ model: "m", input: "hi", tools }));
    expect(body.tools!.map((tool) => tool.function.name)).toEqual(["shell", "ns__f"]);
    expect(translator.droppedTools).toEqual([
      "web_search",
      "mcp:github",
      "image_generation:ns.patch",
      "code_interpreter",
    ]);
  });

  it("are refused naming the tool with hostedTools: reject", () => {
    const reject = (list: unknown[]) =>
      refusal(
        new ResponsesToChat(responsesOptions({ hostedTools: "reject" })).request({
          model: "m",
          input: "hi",
          tools: list,
        }),
      );
    expect(reject(tools)).toMatchObject({ status: 400, param: "tools[1]" });
    expect(reject([tools[0], tools[3]])).toMatchObject({ status: 400, param: "tools[1].tools[0]" });
  });

  it("leave no tool_choice or parallel_tool_calls behind, and a required choice without tools is refused", () => {
    const body = chatBody(
      new ResponsesToChat(responsesOptions()).request({
        model: "m",
        input: "hi",
        tools: [{ type: "web_search" }],
        tool_choice: "auto",
        parallel_tool_calls: false,
      }),
    );
    expect(body).not.toHaveProperty("tool_choice");
    expect(body).not.toHaveProperty("parallel_tool_calls");
    const result = new ResponsesToChat(responsesOptions()).request({
      model: "m",
      input: "hi",
      tools: [{ type: "web_search" }],
      tool_choice: "required",
    });
    expect(refusal(result)).toMatchObject({ param: "tool_choice" });
  });
});

describe("reasoning round trip through encrypted_content", () => {
  const sealer = createReasoningSealer(randomBytes(32));
  const options = (extra: ResponsesTranslatorOptions = {}) => responsesOptions({ sealer, ...extra });
  const blocks = [
    { type: "thinking", thinking: "Think.", signature: "sig-1" },
    { type: "redacted_thinking", data: "opaque" },
  ];

  function firstTurn(include: string[]): ResponsesReasoningItem {
    const translator = new ResponsesToChat(options());
    translator.request({ model: "m", input: "hi", include });
    const response = translator.response(
      completion({ content: "Done.", reasoning_content: "Think.", thinking_blocks: blocks }),
    );
    validateOpenAI("Response", response);
    return response.output[0] as ResponsesReasoningItem;
  }

  it("seals text and signed blocks only when the client includes reasoning.encrypted_content", () => {
    expect(firstTurn([]).encrypted_content).toBeUndefined();
    const item = firstTurn(["reasoning.encrypted_content"]);
    expect(item.encrypted_content).toEqual(expect.any(String));
    expect(item.encrypted_content).not.toContain("sig-1");
  });

  it("restores them on the next assistant message, from the blob alone (as Codex sends it back)", () => {
    const { content: _dropped, ...item } = firstTurn(["reasoning.encrypted_content"]);
    const body = chatBody(
      new ResponsesToChat(options()).request({
        model: "m",
        input: [
          { role: "user", content: "hi" },
          item,
          { role: "assistant", content: [{ type: "output_text", text: "Done." }] },
          { role: "user", content: "again" },
        ],
      }),
    );
    expect(body.messages[1]).toEqual({
      role: "assistant",
      content: "Done.",
      reasoning_content: "Think.",
      thinking_blocks: blocks,
    });
  });

  it("ignores a tampered blob, a foreign one and a malformed one without an error", () => {
    const item = firstTurn(["reasoning.encrypted_content"]);
    const bytes = Buffer.from(item.encrypted_content!, "base64url");
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    const foreign = createReasoningSealer(randomBytes(32)).seal({
      text: "injected",
      thinkingBlocks: blocks as never,
    });
    for (const blob of [bytes.toString("base64url"), foreign, "%%%", ""]) {
      const body = chatBody(
        new ResponsesToChat(options()).request({
          model: "m",
          input: [
            { type: "reasoning", id: "rs_1", summary: [], encrypted_content: blob },
            { role: "assistant", content: "Done." },
          ],
        }),
      );
      expect(body.messages).toEqual([{ role: "assistant", content: "Done." }]);
    }
  });
});

describe("onResponse", () => {
  function tracked(extra: ResponsesTranslatorOptions = {}) {
    const seen: ResponsesResponse[] = [];
    const translator = new ResponsesToChat(
      responsesOptions({ onResponse: (response) => seen.push(response), ...extra }),
    );
    return { translator, seen };
  }

  it("gets the JSON answer once", () => {
    const { translator, seen } = tracked();
    translator.request({ model: "m", input: "hi" });
    const response = translator.response(completion({ content: "Hi" }));
    expect(seen).toEqual([response]);
  });

  it("gets a stream's final response once, whether it completed, failed or broke", () => {
    const runs: Array<(converter: ReturnType<ResponsesToChat["stream"]>) => string[]> = [
      (c) => [
        ...c.event(chunk({ content: "Hi" })),
        ...c.event(chunk({}, "stop")),
        ...c.event({ data: "[DONE]" }),
        ...c.end(),
      ],
      (c) => [
        ...c.event(chunk({ content: "Hi" })),
        ...c.fail(502, "reset"),
        ...c.end(),
        ...c.fail(502, "again"),
      ],
      (c) => [...c.event({ data: '{"error":{"message":"boom","type":"server_error"}}' }), ...c.end()],
      (c) => c.end(),
    ];
    const statuses: string[] = [];
    for (const run of runs) {
      const { translator, seen } = tracked();
      translator.request({ model: "m", input: "hi", stream: true });
      const sse = run(translator.stream()).join("");
      expect(seen).toHaveLength(1);
      statuses.push(seen[0]!.status);
      expect(finalResponse(sse)).toEqual(seen[0]);
    }
    expect(statuses).toEqual(["completed", "failed", "failed", "completed"]);
  });

  it("is not called for an upstream error status", () => {
    const { translator, seen } = tracked();
    translator.request({ model: "m", input: "hi" });
    translator.error(500, { error: { message: "down" } });
    expect(seen).toEqual([]);
  });
});

describe("the response object", () => {
  it("echoes the gateway's store and previous_response_id over the request's", () => {
    const translator = new ResponsesToChat(
      responsesOptions({ store: false, previousResponseId: "resp_prev" }),
    );
    translator.request({
      model: "m",
      input: "hi",
      store: true,
      previous_response_id: "resp_other",
      prompt_cache_key: "k",
    });
    const response = translator.response(completion({ content: "Hi" }));
    expect(response).toMatchObject({
      store: false,
      previous_response_id: "resp_prev",
      prompt_cache_key: "k",
    });
    validateOpenAI("Response", response);
  });

  it("reports a failed stream with a rate-limit or server error code", () => {
    const translator = new ResponsesToChat(responsesOptions());
    translator.request({ model: "m", input: "hi", stream: true });
    const frames = translator.stream().fail(429, "slow down");
    expect(frames).toHaveLength(1);
    expect(finalResponse(frames.join(""))).toMatchObject({
      status: "failed",
      error: { code: "rate_limit_exceeded", message: "slow down" },
    });
  });
});

describe("errors and refusals", () => {
  it("keeps the backend's message, code and param in OpenAI's envelope", () => {
    const translator = new ResponsesToChat(responsesOptions());
    const body = {
      error: {
        message: "too long",
        type: "invalid_request_error",
        param: "messages",
        code: "context_length_exceeded",
      },
    };
    expect(translator.error(400, body)).toEqual({
      error: {
        message: "too long",
        type: "invalid_request_error",
        param: "messages",
        code: "context_length_exceeded",
      },
    });
    expect(translator.error(502, "<html>bad gateway</html>")).toEqual({
      error: { message: "<html>bad gateway</html>", type: "server_error", param: null, code: null },
    });
  });

  it.each([
    [{ model: "m" }, "input"],
    [
      { model: "m", input: [{ role: "user", content: [{ type: "input_file", file_id: "f" }] }] },
      "input[0].content[0].type",
    ],
    [{ model: "m", input: [{ role: "tool", content: "x" }] }, "input[0].role"],
    [{ model: "m", input: [{ type: "function_call", name: "f", arguments: "{}" }] }, "input[0].call_id"],
    [{ model: "m", input: [{ type: "function_call_output", call_id: "c", output: 3 }] }, "input[0].output"],
    [
      { model: "m", input: [{ role: "developer", content: [{ type: "input_image", image_url: "x" }] }] },
      "input[0].content[0].type",
    ],
    [{ model: "m", input: [{ id: "msg_1" }] }, "input[0]"],
    [{ model: "m", input: [{ content: "no role" }] }, "input[0].type"],
    [{ model: "m", input: "hi", background: true }, "background"],
    [{ model: "m", input: "hi", conversation: "conv_1" }, "conversation"],
    [{ model: "m", input: "hi", text: { format: { type: "json_schema", name: "x" } } }, "text.format.schema"],
    [{ model: "m", input: "hi", text: { format: { type: "grammar" } } }, "text.format.type"],
    [{ model: "m", input: "hi", tools: [{ type: "function" }] }, "tools[0].name"],
    [
      {
        model: "m",
        input: "hi",
        tools: [{ type: "function", name: "f" }],
        tool_choice: { type: "mcp", server_label: "x" },
      },
      "tool_choice",
    ],
  ])("refuses %j naming %s", (request, param) => {
    expect(refusal(new ResponsesToChat(responsesOptions()).request(request))).toMatchObject({
      status: 400,
      param,
    });
  });
});
