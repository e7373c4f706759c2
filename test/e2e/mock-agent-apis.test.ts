/**
 * What agent-client tests need from `switchyard mock`, as a real process driven by the official SDKs:
 * tool calls whose arguments satisfy the offered schema (and none when many tools are offered and none
 * is named), `count_tokens` and `/tokenize` agreeing with usage, and `--native-apis` marking native
 * Messages answers.
 */
import Anthropic from "@anthropic-ai/sdk";
import { Ajv2020 } from "ajv/dist/2020.js";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { postJson } from "../helpers/http.js";
import { validateOpenAI } from "../helpers/openapi.js";

let mock: CliProcess;
let url: string;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  mock = await startCli([
    "mock",
    "--port",
    "0",
    "--models",
    "local-model",
    "--native-apis",
    "messages,responses",
    "--log-level",
    "silent",
  ]);
  url = mock.ready[0]!.url;
  openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: "sk-test", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: url, apiKey: "sk-ant-test", maxRetries: 0 });
});

afterAll(stopAll);

const ajv = new Ajv2020({ strict: false, validateFormats: false });

type ObjectSchema = { type: "object"; [key: string]: unknown };

const weather: ObjectSchema = {
  type: "object",
  properties: {
    location: {
      type: "object",
      properties: { city: { type: "string" }, country: { type: "string", minLength: 2, maxLength: 2 } },
      required: ["city", "country"],
    },
    unit: { type: "string", enum: ["celsius", "fahrenheit"] },
    days: { type: "integer", minimum: 1, maximum: 7 },
  },
  required: ["location", "unit", "days"],
  additionalProperties: false,
};
const read: ObjectSchema = {
  type: "object",
  properties: { file_path: { type: "string" }, limit: { type: "integer" } },
  required: ["file_path"],
};

describe("tool calls (OpenAI SDK)", () => {
  const tools = [
    { type: "function" as const, function: { name: "get_weather", parameters: weather } },
    { type: "function" as const, function: { name: "Read", parameters: read } },
  ];

  it("calls the named tool with arguments its schema accepts, streamed and not", async () => {
    const request = {
      model: "local-model",
      tools,
      messages: [{ role: "user" as const, content: "use get_weather Lisbon" }],
    };
    const completion = await openai.chat.completions.create(request);
    validateOpenAI("CreateChatCompletionResponse", completion);
    const call = completion.choices[0]!.message.tool_calls![0]! as {
      function: { name: string; arguments: string };
    };
    expect(call.function.name).toBe("get_weather");
    const args = JSON.parse(call.function.arguments);
    expect(ajv.validate(weather, args)).toBe(true);
    expect(args.location.city).toBe("Lisbon");
    const stream = await openai.chat.completions.stream(request).finalChatCompletion();
    const streamed = stream.choices[0]!.message.tool_calls![0]! as { function: { arguments: string } };
    expect(streamed.function.arguments).toBe(call.function.arguments);
  });

  it("answers with text when several tools are offered and none is named", async () => {
    const completion = await openai.chat.completions.create({
      model: "local-model",
      tools,
      messages: [{ role: "user", content: "what is the weather?" }],
    });
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.choices[0]!.message.tool_calls).toBeUndefined();
  });
});

describe("native Messages (Anthropic SDK)", () => {
  const request = {
    model: "local-model",
    max_tokens: 200,
    system: "be brief",
    messages: [{ role: "user" as const, content: 'use Read {"file_path": "/tmp/notes.txt"}' }],
    tools: [
      { name: "get_weather", input_schema: weather },
      { name: "Read", input_schema: read },
    ],
  };

  it("marks the answer as native and calls the tool with the arguments given", async () => {
    const { data, response } = await anthropic.messages.create(request).withResponse();
    expect(response.headers.get("x-mock-native")).toBe("messages");
    expect(data.stop_reason).toBe("tool_use");
    expect(data.content).toEqual([
      {
        type: "tool_use",
        id: expect.stringMatching(/^toolu_/),
        name: "Read",
        input: { file_path: "/tmp/notes.txt" },
      },
    ]);
    const streamed = await anthropic.messages.stream(request).finalMessage();
    expect(streamed.content).toEqual(data.content);
  });

  it("counts tokens as the message's usage reports them", async () => {
    const { max_tokens: _, ...countRequest } = request;
    const counted = await anthropic.messages.countTokens(countRequest);
    const message = await anthropic.messages.create(request);
    expect(counted).toEqual({ input_tokens: message.usage.input_tokens });
  });
});

describe("/tokenize and /v1/responses", () => {
  it("counts a chat as its usage, in vLLM's shape, and content in llama.cpp's", async () => {
    const messages = [{ role: "user", content: "count these four words" }];
    const tokenized = await postJson<{ count: number; tokens: number[] }>(`${url}/tokenize`, {
      model: "local-model",
      messages,
    });
    const chat = await openai.chat.completions.create({
      model: "local-model",
      messages: [...messages] as never,
    });
    expect(tokenized.body.count).toBe(chat.usage!.prompt_tokens);
    const llama = await postJson<{ tokens: number[] }>(`${url}/tokenize`, {
      content: "count these four words",
    });
    expect(llama.body.tokens).toEqual(tokenized.body.tokens);
  });

  it("serves /v1/responses natively, marked, in the shape OpenAI's schema describes", async () => {
    const response = await postJson(`${url}/v1/responses`, { model: "local-model", input: "hi" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-mock-native")).toBe("responses");
    validateOpenAI("Response", response.body);
    const refused = await postJson(`${url}/v1/responses`, { model: "local-model", input: 7 });
    expect(refused.status).toBe(400);
    validateOpenAI("ErrorResponse", refused.body);
  });
});
