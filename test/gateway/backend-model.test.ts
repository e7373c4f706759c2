import { describe, expect, it } from "vitest";
import { backendSchema } from "../../src/config/schema.js";
import { forwardedModel } from "../../src/gateway/backend-model.js";
import { Registry } from "../../src/routing/registry.js";

function registered(models: string[], own: string[] | undefined, patterns: string[] = []) {
  const backend = new Registry().add(
    "b",
    backendSchema.parse({ url: "http://127.0.0.1:1", models, model_patterns: patterns }),
  );
  backend.ownModels = own;
  return backend;
}

const parsed = { model: "gpt-oss", messages: [{ role: "user", content: "hi" }] };
const raw = Buffer.from(JSON.stringify(parsed));

describe("forwardedModel", () => {
  it("sends a registered name the backend does not list as the one model it does list", () => {
    const backend = registered(["gpt-oss-20b", "gpt-oss"], ["gpt-oss-20b"]);
    const sent = forwardedModel(backend, "gpt-oss", raw, parsed);
    expect(sent.model).toBe("gpt-oss-20b");
    expect(JSON.parse(sent.body.toString())).toEqual({ ...parsed, model: "gpt-oss-20b" });
  });

  it("forwards the client's bytes themselves when the backend answers to the name", () => {
    const backend = registered(["gpt-oss-20b", "gpt-oss"], ["gpt-oss-20b"]);
    const body = Buffer.from(JSON.stringify({ ...parsed, model: "gpt-oss-20b" }));
    const sent = forwardedModel(backend, "gpt-oss-20b", body, { ...parsed, model: "gpt-oss-20b" });
    expect(sent.body).toBe(body);
    expect(sent.model).toBe("gpt-oss-20b");
  });

  it("forwards the name as asked when the backend's own list is unknown or ambiguous", () => {
    for (const own of [undefined, ["a", "b"]]) {
      const sent = forwardedModel(registered(["gpt-oss"], own), "gpt-oss", raw, parsed);
      expect(sent).toEqual({ model: "gpt-oss", body: raw });
      expect(sent.body).toBe(raw);
    }
  });

  it("leaves names matched only by a pattern alone", () => {
    const backend = registered([], ["gpt-4o"], ["gpt-*"]);
    expect(forwardedModel(backend, "gpt-oss", raw, parsed).body).toBe(raw);
  });
});
