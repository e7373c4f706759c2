/**
 * A routing field written twice at the top of a request body is refused before routing, in the
 * route's protocol, naming the field: the gateway reads the last `model`, a backend may keep the
 * first, and a key limited to one model must not reach another that way.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { duplicateRoutingField } from "../../src/gateway/duplicate-keys.js";
import { chatCompletion, type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.js";

/** The check as the body parser makes it: with the text and what it parses to. */
const duplicateOf = (text: string) => duplicateRoutingField(text, JSON.parse(text) as object);

describe("duplicateRoutingField", () => {
  it("names a routing field the top level has twice", () => {
    expect(duplicateOf('{"model":"other","messages":[],"model":"mock-model"}')).toBe("model");
    expect(duplicateOf('{"stream":false,"x":{"a":"}"},"stream":true}')).toBe("stream");
    // An escape spells the same name: JSON.parse reads it as `model`.
    expect(duplicateOf('{"model":"a","mod\\u0065l":"b"}')).toBe("model");
  });

  it("leaves alone names repeated in nested objects, strings and arrays, and other keys", () => {
    const nested = JSON.stringify({
      model: "m",
      messages: [{ role: "user", content: '{"model":"x","model":"y"}' }],
      tools: [{ function: { parameters: { properties: { model: {}, stream: {} } } } }],
      metadata: { model: "inner", user: "u" },
    });
    expect(duplicateOf(nested)).toBeUndefined();
    expect(duplicateOf('{"temperature":1,"temperature":2,"model":"m"}')).toBeUndefined();
    expect(duplicateOf('{"model":"caf\\u00e9"}')).toBeUndefined();
  });

  it("reads a long body's top level alike, over strings with escaped quotes and backslashes", () => {
    const content = `say \\"model\\": ${"x".repeat(3000)} \\\\`;
    const long = (tail: string) =>
      `{"model":"m","messages":[{"role":"user","content":"${content}"},{"model":"inner"}],` +
      `"stream":false${tail}}`;
    expect(long("").length).toBeGreaterThan(2048);
    expect(duplicateOf(long(""))).toBeUndefined();
    expect(duplicateOf(long(',"model":"other"'))).toBe("model");
    expect(duplicateOf(long(',"str\\u0065am":true'))).toBe("stream");
    expect(duplicateOf(long(',"temperature":1,"temperature":2'))).toBeUndefined();
  });
});

describe("duplicateRoutingField on any object text", () => {
  it("names the first routing field written twice at the top level, short text or long", () => {
    const key = fc.constantFrom("model", "stream", "user", "messages", "x", 'q"uote', "back\\slash");
    const value = fc.oneof(
      fc.json(),
      fc.string({ unit: "grapheme", maxLength: 1200 }).map((text) => JSON.stringify(text)),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 8 }), (entries) => {
        const text = `{${entries.map(([name, json]) => `${JSON.stringify(name)}:${json}`).join(",")}}`;
        const seen = new Set<string>();
        let expected: string | undefined;
        for (const [name] of entries) {
          if (!["model", "stream", "user"].includes(name)) continue;
          if (seen.has(name)) {
            expected = name;
            break;
          }
          seen.add(name);
        }
        expect(duplicateOf(text)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

let upstream: FakeUpstream;
let gateway: Gateway;

beforeAll(async () => {
  upstream = await startFakeUpstream((_req, res) => chatCompletion(res));
  gateway = buildGateway(
    gatewayConfigSchema.parse({
      port: 0,
      log_level: "silent",
      health_interval: 0,
      load_interval: 0,
      client_keys: [{ name: "team", key: "sk-team-key", models: ["mock-model"] }],
      backends: [{ name: "a", url: upstream.url, models: ["mock-model", "other"] }],
    }),
  );
  await gateway.app.ready();
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

function post(url: string, body: string) {
  return gateway.app.inject({
    method: "POST",
    url,
    headers: { "content-type": "application/json", authorization: "Bearer sk-team-key" },
    payload: body,
  });
}

describe("a body with a routing field twice", () => {
  it("is a 400 naming the field on the OpenAI chat route, and reaches no backend", async () => {
    const answer = await post(
      "/v1/chat/completions",
      '{"model":"other","messages":[{"role":"user","content":"hi"}],"model":"mock-model"}',
    );
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ error: { code: "duplicate_field", param: "model" } });
    expect(answer.json().error.message).toContain("'model'");
    expect(upstream.hits).toBe(0);
  });

  it("is a 400 in the Anthropic shape on /v1/messages", async () => {
    const answer = await post(
      "/v1/messages",
      '{"model":"mock-model","stream":false,"max_tokens":8,"messages":[{"role":"user","content":"hi"}],"stream":true}',
    );
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(answer.json().error.message).toContain("'stream'");
  });

  it("is a 400 naming the field on /v1/responses", async () => {
    const answer = await post("/v1/responses", '{"model":"other","input":"hi","model":"mock-model"}');
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ error: { code: "duplicate_field", param: "model" } });
    expect(upstream.hits).toBe(0);
  });

  it("leaves a body with each field once alone", async () => {
    const answer = await post(
      "/v1/chat/completions",
      '{"model":"mock-model","messages":[{"role":"user","content":"say \\"model\\" twice: \\"model\\""}]}',
    );
    expect(answer.statusCode).toBe(200);
  });
});
