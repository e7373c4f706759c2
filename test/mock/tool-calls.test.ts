/**
 * Tool calls on both APIs: which tool the mock calls (tool-choice.ts) and arguments that satisfy its
 * schema (schema-sample.ts), streamed and not.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildMockApp } from "../../src/mock/app.js";
import { validateOpenAI } from "../helpers/openapi.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function mock(): FastifyInstance {
  const app = buildMockApp({ id: "a", models: ["mock-model"], logLevel: "silent" });
  apps.push(app);
  return app;
}

const ajv = new Ajv2020({ strict: false, validateFormats: false });

const weather = {
  type: "object",
  properties: {
    city: { type: "string" },
    unit: { type: "string", enum: ["celsius", "fahrenheit"] },
    days: { type: "integer", minimum: 1, maximum: 7 },
  },
  required: ["city", "unit", "days"],
  additionalProperties: false,
};
const bash = {
  type: "object",
  properties: { command: { type: "string" }, timeout: { type: "number" } },
  required: ["command"],
};
const read = { type: "object", properties: { file_path: { type: "string" } }, required: ["file_path"] };
const SCHEMAS: Record<string, object> = { get_weather: weather, Bash: bash, Read: read };

const openAITools = (names: string[]) =>
  names.map((name) => ({ type: "function", function: { name, parameters: SCHEMAS[name] } }));
const anthropicTools = (names: string[]) => names.map((name) => ({ name, input_schema: SCHEMAS[name] }));

async function chat(app: FastifyInstance, text: string, extra: Record<string, unknown>) {
  const response = await app.inject({
    method: "POST",
    url: "/v1/chat/completions",
    payload: { model: "mock-model", messages: [{ role: "user", content: text }], ...extra },
  });
  expect(response.statusCode).toBe(200);
  return response;
}

function expectCall(name: string, args: string): Record<string, unknown> {
  const value = JSON.parse(args) as Record<string, unknown>;
  const validate = ajv.compile(SCHEMAS[name]!);
  expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
  return value;
}

describe("OpenAI chat: tool calls", () => {
  it("calls the one tool offered with arguments that satisfy its schema", async () => {
    const body = (await chat(mock(), "Paris", { tools: openAITools(["get_weather"]) })).json();
    validateOpenAI("CreateChatCompletionResponse", body);
    expect(body.choices[0].finish_reason).toBe("tool_calls");
    const call = body.choices[0].message.tool_calls[0];
    expect(call.function.name).toBe("get_weather");
    expect(expectCall("get_weather", call.function.arguments)).toMatchObject({
      city: "Paris",
      unit: "celsius",
    });
  });

  it("gives the same call for the same request", async () => {
    const app = mock();
    const request = { tools: openAITools(["get_weather"]) };
    const first = (await chat(app, "Paris", request)).json().choices[0].message.tool_calls[0];
    const second = (await chat(app, "Paris", request)).json().choices[0].message.tool_calls[0];
    expect(second).toEqual(first);
  });

  it("answers with text when many tools are offered and none is named", async () => {
    const body = (
      await chat(mock(), "hello", { tools: openAITools(["Bash", "Read", "get_weather"]) })
    ).json();
    expect(body.choices[0]).toMatchObject({
      finish_reason: "stop",
      message: { content: "[backend=a version=0] hello" },
    });
  });

  it("calls the tool the user names, with the words after the name or the JSON given", async () => {
    const tools = openAITools(["Bash", "Read", "get_weather"]);
    const app = mock();
    const bashCall = (await chat(app, "use Bash ls -l", { tools })).json().choices[0].message.tool_calls[0];
    expect(bashCall.function.name).toBe("Bash");
    expect(expectCall("Bash", bashCall.function.arguments)).toEqual({ command: "ls -l" });
    const readCall = (await chat(app, 'use Read {"file_path":"/tmp/a.txt"}', { tools })).json().choices[0]
      .message.tool_calls[0];
    expect(JSON.parse(readCall.function.arguments)).toEqual({ file_path: "/tmp/a.txt" });
  });

  it("streams the same arguments in fragments", async () => {
    const app = mock();
    const request = { tools: openAITools(["Bash", "Read"]), tool_choice: "required" };
    const whole = (await chat(app, "use Read /etc/hosts", request)).json().choices[0].message.tool_calls[0];
    const stream = await chat(app, "use Read /etc/hosts", { ...request, stream: true });
    let args = "";
    for (const frame of stream.body.split("\n\n")) {
      if (!frame.startsWith("data: {")) continue;
      const chunk = JSON.parse(frame.slice(6));
      validateOpenAI("CreateChatCompletionStreamResponse", chunk);
      args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? "";
    }
    expect(args).toBe(whole.function.arguments);
    expect(JSON.parse(args)).toEqual({ file_path: "/etc/hosts" });
  });

  it("answers with text for tool_choice none and after a tool result", async () => {
    const app = mock();
    const tools = openAITools(["get_weather"]);
    const none = (await chat(app, "Paris", { tools, tool_choice: "none" })).json();
    expect(none.choices[0].finish_reason).toBe("stop");
    const response = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: {
        model: "mock-model",
        tools,
        messages: [
          { role: "user", content: "Paris" },
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: "{}" } }],
          },
          { role: "tool", tool_call_id: "c1", content: "sunny" },
        ],
      },
    });
    expect(response.json().choices[0].finish_reason).toBe("stop");
  });
});

describe("Anthropic messages: tool calls", () => {
  async function messages(app: FastifyInstance, text: string, extra: Record<string, unknown>) {
    const response = await app.inject({
      method: "POST",
      url: "/v1/messages",
      payload: {
        model: "mock-model",
        max_tokens: 100,
        messages: [{ role: "user", content: text }],
        ...extra,
      },
    });
    expect(response.statusCode).toBe(200);
    return response;
  }

  it("calls the named tool with input that satisfies its schema, streamed and not", async () => {
    const app = mock();
    const request = { tools: anthropicTools(["Bash", "Read", "get_weather"]) };
    const body = (await messages(app, "use get_weather Rome", request)).json();
    expect(body.stop_reason).toBe("tool_use");
    const block = body.content.find((item: { type: string }) => item.type === "tool_use");
    expect(block.name).toBe("get_weather");
    expect(expectCall("get_weather", JSON.stringify(block.input))).toMatchObject({ city: "Rome" });
    const stream = await messages(app, "use get_weather Rome", { ...request, stream: true });
    const partial = [...stream.body.matchAll(/"partial_json":("(?:[^"\\]|\\.)*")/g)]
      .map((match) => JSON.parse(match[1]!) as string)
      .join("");
    expect(JSON.parse(partial)).toEqual(block.input);
  });

  it("answers with text when several tools are offered and none is named, or tool_choice is none", async () => {
    const app = mock();
    const tools = anthropicTools(["Bash", "Read"]);
    expect((await messages(app, "hello", { tools })).json().stop_reason).toBe("end_turn");
    const forcedNone = await messages(app, "use Bash ls", { tools, tool_choice: { type: "none" } });
    expect(forcedNone.json().stop_reason).toBe("end_turn");
    const any = await messages(app, "hello", { tools, tool_choice: { type: "any" } });
    expect(any.json().content[0]).toMatchObject({
      type: "tool_use",
      name: "Bash",
      input: { command: "hello" },
    });
  });
});
