/**
 * Request bodies for every POST route of the gateway: valid templates (to mutate) and generators of
 * request-shaped objects whose every field may be right, wrong, missing or duplicated.
 */
import fc from "fast-check";
import {
  arrayOf,
  boolText,
  countText,
  fieldValue,
  type JsonText,
  json,
  jsonText,
  numberText,
  objectWith,
  ratioText,
  stringText,
} from "./arbitraries.js";
import { MODEL_NAMES, MODELS } from "./gateway.js";

const choose = (...values: unknown[]): fc.Arbitrary<JsonText> => fc.constantFrom(...values.map(json));

/** A model name: served, unknown, or a hostile string; sometimes not a string at all. */
const modelText: fc.Arbitrary<JsonText> = fieldValue(
  fc.oneof(
    { weight: 4, arbitrary: choose(...MODEL_NAMES) },
    { weight: 1, arbitrary: stringText },
    { weight: 1, arbitrary: fc.constantFrom(json("m".repeat(100_000)), json("模型🦄\u0000\u202e")) },
  ),
);

// ---- OpenAI ----------------------------------------------------------------------------------------

const OPENAI_KEYS = [
  "model",
  "messages",
  "role",
  "content",
  "stream",
  "max_tokens",
  "type",
  "text",
  "function",
  "tool_calls",
  "prompt",
  "input",
];

const textPart = objectWith({ type: choose("text"), text: stringText });
const imagePart = objectWith({
  type: choose("image_url"),
  image_url: objectWith({ url: choose("data:image/png;base64,AAAA", "https://example.invalid/a.png") }),
});
const openAIContent = fc.oneof(stringText, arrayOf(fc.oneof(textPart, imagePart), 4), fc.constant("null"));
const toolCall = objectWith({
  id: fieldValue(choose("call_1", "call_2")),
  type: fieldValue(choose("function")),
  function: fieldValue(
    objectWith({
      name: fieldValue(choose("f", "g")),
      arguments: fieldValue(fc.oneof(choose('{"a":1}', "{", "", "[]"), stringText)),
    }),
  ),
});
const openAIMessage = objectWith({
  role: fieldValue(choose("user", "system", "assistant", "tool", "developer", "function", "")),
  content: fieldValue(openAIContent, OPENAI_KEYS),
  name: fieldValue(stringText),
  tool_calls: fieldValue(arrayOf(toolCall, 3)),
  tool_call_id: fieldValue(choose("call_1", "call_2")),
});
const openAITools = arrayOf(
  objectWith({
    type: fieldValue(choose("function")),
    function: fieldValue(
      objectWith({
        name: fieldValue(choose("f", "g", "")),
        description: stringText,
        parameters: fieldValue(choose({ type: "object", properties: { a: { type: "number" } } })),
      }),
    ),
  }),
  3,
);

const openAICommon = {
  model: modelText,
  stream: fieldValue(boolText),
  stream_options: fieldValue(objectWith({ include_usage: boolText })),
  max_tokens: countText,
  temperature: ratioText,
  top_p: ratioText,
  n: countText,
  user: fieldValue(stringText),
  stop: fieldValue(fc.oneof(stringText, arrayOf(stringText, 4))),
  seed: fieldValue(numberText),
  logprobs: fieldValue(boolText),
  logit_bias: fieldValue(objectWith({ "50256": numberText })),
};

export const chatBody: fc.Arbitrary<JsonText> = objectWith({
  ...openAICommon,
  messages: fieldValue(arrayOf(openAIMessage, 5), OPENAI_KEYS),
  max_completion_tokens: countText,
  tools: fieldValue(openAITools),
  tool_choice: fieldValue(
    fc.oneof(choose("auto", "none", "required"), choose({ type: "function", function: { name: "f" } })),
  ),
  parallel_tool_calls: fieldValue(boolText),
  response_format: fieldValue(
    choose(
      { type: "json_object" },
      { type: "text" },
      { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
    ),
  ),
  separate_thinking: fieldValue(boolText),
  include_channels: fieldValue(arrayOf(choose("analysis", "commentary", "final", "other"), 4)),
  reasoning: fieldValue(fc.oneof(choose("low", "HIGH", "none", "max"), objectWith({ effort: stringText }))),
  reasoning_effort: fieldValue(choose("low", "medium", "high", "minimal", "xhigh", "extreme")),
  developer_instructions: fieldValue(stringText),
});

const promptText = fieldValue(
  fc.oneof(
    stringText,
    arrayOf(stringText, 4),
    arrayOf(numberText, 6),
    arrayOf(arrayOf(numberText, 4), 3),
    fc.constant("[]"),
  ),
);

export const completionBody: fc.Arbitrary<JsonText> = objectWith({
  ...openAICommon,
  prompt: promptText,
  suffix: fieldValue(stringText),
  echo: fieldValue(boolText),
  best_of: countText,
});

export const embeddingBody: fc.Arbitrary<JsonText> = objectWith({
  model: modelText,
  input: promptText,
  encoding_format: fieldValue(choose("float", "base64", "int8")),
  dimensions: fieldValue(fc.oneof(countText, choose(65_536, 65_537, 1_000_000, 2 ** 31))),
  user: fieldValue(stringText),
});

// ---- Anthropic -------------------------------------------------------------------------------------

const ANTHROPIC_KEYS = ["model", "messages", "max_tokens", "role", "content", "type", "text", "system"];

const anthropicText = objectWith({ type: choose("text"), text: stringText });
const anthropicBlock = fc.oneof(
  anthropicText,
  objectWith({
    type: choose("image"),
    source: fieldValue(
      choose(
        { type: "base64", media_type: "image/png", data: "AAAA" },
        { type: "url", url: "https://example.invalid/a.png" },
      ),
    ),
  }),
  objectWith({
    type: choose("tool_use"),
    id: fieldValue(choose("toolu_1", "toolu_2")),
    name: fieldValue(choose("f", "g")),
    input: jsonText(ANTHROPIC_KEYS, 2),
  }),
  objectWith({
    type: choose("tool_result"),
    tool_use_id: fieldValue(choose("toolu_1", "toolu_2")),
    content: fieldValue(fc.oneof(stringText, arrayOf(anthropicText, 3))),
    is_error: boolText,
  }),
  objectWith({ type: choose("thinking"), thinking: stringText, signature: stringText }),
  objectWith({ type: choose("redacted_thinking"), data: stringText }),
  objectWith({ type: fieldValue(stringText) }),
);
const anthropicMessage = objectWith({
  role: fieldValue(choose("user", "assistant", "system", "tool")),
  content: fieldValue(fc.oneof(stringText, arrayOf(anthropicBlock, 4)), ANTHROPIC_KEYS),
});

export const messagesBody: fc.Arbitrary<JsonText> = objectWith({
  model: modelText,
  max_tokens: countText,
  messages: fieldValue(arrayOf(anthropicMessage, 5), ANTHROPIC_KEYS),
  system: fieldValue(fc.oneof(stringText, arrayOf(anthropicText, 3))),
  stream: fieldValue(boolText),
  temperature: ratioText,
  top_p: ratioText,
  top_k: countText,
  stop_sequences: fieldValue(arrayOf(stringText, 4)),
  metadata: fieldValue(objectWith({ user_id: fieldValue(stringText) })),
  thinking: fieldValue(
    objectWith({ type: fieldValue(choose("enabled", "disabled", "adaptive")), budget_tokens: countText }),
  ),
  tools: fieldValue(
    arrayOf(
      objectWith({
        name: fieldValue(choose("f", "g", "")),
        description: stringText,
        input_schema: fieldValue(choose({ type: "object", properties: {} })),
      }),
      3,
    ),
  ),
  tool_choice: fieldValue(
    objectWith({ type: fieldValue(choose("auto", "any", "tool", "none")), name: fieldValue(choose("f")) }),
  ),
});

// ---- Admin -----------------------------------------------------------------------------------------

/** URLs a registered backend may get; all on loopback ports nothing listens on, or not URLs. */
const backendUrl = fieldValue(
  choose(
    "http://127.0.0.1:1",
    "https://127.0.0.1:1/v1",
    "http://127.0.0.1:1/v1/",
    "http://[::1]:1",
    "ftp://127.0.0.1:1",
    "http://",
    "not a url",
    "http://user:pass@127.0.0.1:1",
    "http://127.0.0.1:99999",
    "javascript:alert(1)",
  ),
);

export const registerBody: fc.Arbitrary<JsonText> = objectWith({
  name: fieldValue(fc.oneof(choose("fz-1", "fz-2", ""), stringText)),
  url: backendUrl,
  kind: fieldValue(choose("openai", "anthropic", "vllm")),
  models: fieldValue(arrayOf(fc.oneof(choose("fz-model", ""), stringText), 4)),
  model_type: fieldValue(choose("generic", "qwen3", "gpt-oss", "deepseek-r1", "")),
  weight: fieldValue(fc.oneof(ratioText, countText)),
  max_connections: countText,
  health_path: fieldValue(choose("", "/health", "health", "/")),
  api_keys: fieldValue(arrayOf(stringText, 3)),
  model_patterns: fieldValue(arrayOf(choose("fz-*", "*", ""), 3)),
  separate_reasoning: boolText,
  start_command: fieldValue(stringText),
});

export const unregisterBody: fc.Arbitrary<JsonText> = objectWith({
  name: fieldValue(fc.oneof(choose("fz-1", "nope", ""), stringText)),
});

// ---- Routes ----------------------------------------------------------------------------------------

export interface PostRoute {
  readonly path: string;
  /** Where it is sent: the inference gateway, or the admin one (its state may be changed). */
  readonly target: "inference" | "admin";
  /** Request-shaped bodies. */
  readonly shaped: fc.Arbitrary<JsonText>;
  /** Valid requests, to mutate and to check that they succeed. */
  readonly templates: fc.Arbitrary<Record<string, unknown>>;
}

const chatTemplates = fc
  .record({
    model: fc.constantFrom(...Object.values(MODELS)),
    stream: fc.boolean(),
    includeUsage: fc.boolean(),
    shape: fc.constantFrom("plain", "tools", "reasoning"),
  })
  .map(({ model, stream, includeUsage, shape }): Record<string, unknown> => {
    const base: Record<string, unknown> = {
      model,
      max_tokens: 16,
      temperature: 0.5,
      stream,
      ...(stream ? { stream_options: { include_usage: includeUsage } } : {}),
    };
    if (shape === "tools") {
      return {
        ...base,
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: [{ type: "text", text: "what is 6*7?" }] },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "calc", arguments: '{"a":6}' } },
            ],
          },
          { role: "tool", tool_call_id: "call_1", content: "42" },
        ],
        tools: [
          {
            type: "function",
            function: { name: "calc", parameters: { type: "object", properties: { a: { type: "number" } } } },
          },
        ],
        tool_choice: "auto",
      };
    }
    const messages = [
      { role: "system", content: "be brief" },
      { role: "user", content: "hello there" },
    ];
    if (shape === "reasoning") {
      return {
        ...base,
        messages,
        separate_thinking: true,
        include_channels: ["analysis", "final"],
        reasoning: "low",
        developer_instructions: "think first",
      };
    }
    return { ...base, messages, user: "u-1", stop: ["\n\n"] };
  });

const completionTemplates = fc
  .record({
    model: fc.constantFrom(MODELS.openai, MODELS.alias, MODELS.reasoning),
    stream: fc.boolean(),
    prompt: fc.constantFrom<unknown>("Say hi", ["a", "b"], [1, 2, 3], [[1], [2, 3]]),
  })
  .map(({ model, stream, prompt }) => ({ model, prompt, stream, max_tokens: 8 }));

const embeddingTemplates = fc
  .record({
    model: fc.constantFrom(MODELS.openai, MODELS.alias),
    input: fc.constantFrom<unknown>("hello", ["a", "b"], [1, 2, 3], [[1], [2, 3]]),
    encoding: fc.constantFrom("float", "base64"),
  })
  .map(({ model, input, encoding }) => ({ model, input, encoding_format: encoding, dimensions: 8 }));

const messagesTemplates = fc
  .record({
    model: fc.constantFrom(...Object.values(MODELS)),
    stream: fc.boolean(),
    thinking: fc.boolean(),
    tools: fc.boolean(),
  })
  .map(
    ({ model, stream, thinking, tools }): Record<string, unknown> => ({
      model,
      max_tokens: 32,
      stream,
      system: [{ type: "text", text: "be brief" }],
      metadata: { user_id: "u-1" },
      ...(thinking ? { thinking: { type: "enabled", budget_tokens: 16 } } : {}),
      messages: tools
        ? [
            { role: "user", content: "what is 6*7?" },
            {
              role: "assistant",
              content: [
                { type: "text", text: "calling" },
                { type: "tool_use", id: "toolu_1", name: "calc", input: { a: 6 } },
              ],
            },
            {
              role: "user",
              content: [
                { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "42" }] },
              ],
            },
          ]
        : [
            { role: "user", content: "hello" },
            { role: "assistant", content: [{ type: "text", text: "hi" }] },
            { role: "user", content: [{ type: "text", text: "again" }] },
          ],
      ...(tools
        ? {
            tools: [
              { name: "calc", input_schema: { type: "object", properties: { a: { type: "number" } } } },
            ],
            tool_choice: { type: "auto" },
          }
        : {}),
    }),
  );

const registerTemplates = fc.tuple(fc.constantFrom("openai", "anthropic"), fc.nat(3)).map(([kind, n]) => ({
  name: `fz-${n}`,
  url: "http://127.0.0.1:1",
  kind,
  models: ["fz-model"],
  model_type: "generic",
  weight: 2,
  max_connections: 4,
  health_path: "/health",
  api_keys: ["k1", "k2"],
  model_patterns: ["fz-*"],
  separate_reasoning: false,
}));

export const POST_ROUTES: readonly PostRoute[] = [
  { path: "/v1/chat/completions", target: "inference", shaped: chatBody, templates: chatTemplates },
  { path: "/v1/completions", target: "inference", shaped: completionBody, templates: completionTemplates },
  { path: "/v1/embeddings", target: "inference", shaped: embeddingBody, templates: embeddingTemplates },
  { path: "/v1/messages", target: "inference", shaped: messagesBody, templates: messagesTemplates },
  { path: "/backends/register", target: "admin", shaped: registerBody, templates: registerTemplates },
  {
    path: "/backends/unregister",
    target: "admin",
    shaped: unregisterBody,
    templates: fc.constant({ name: "nope" }),
  },
  {
    path: "/backends/a1/drain",
    target: "admin",
    shaped: jsonText(),
    templates: fc.constant({ reason: "maintenance" }),
  },
  {
    path: "/backends/a1/resume",
    target: "admin",
    shaped: jsonText(),
    templates: fc.constant({}),
  },
  { path: "/admin/reload", target: "admin", shaped: jsonText(), templates: fc.constant({}) },
];
