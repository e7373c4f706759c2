import { describe, expect, it } from "vitest";
import { backendSchema } from "../../src/config/schema.js";
import { Registry } from "../../src/routing/registry.js";

const backend = (url: string, models: string[]) => backendSchema.parse({ url, models });

describe("Registry", () => {
  it("indexes backends by model and keeps the index fresh", () => {
    const registry = new Registry();
    registry.add("a", backend("http://127.0.0.1:1", ["m1", "m2"]));
    const b = registry.add("b", backend("http://127.0.0.1:2/v1", ["m2"]));
    expect(registry.serving("m2").map((state) => state.id)).toEqual(["a", "b"]);
    expect(registry.models()).toEqual(["m1", "m2"]);
    registry.setModels(b, ["m3"]);
    expect(registry.serving("m3").map((state) => state.id)).toEqual(["b"]);
    expect(registry.remove("a")).toBe(true);
    expect(registry.serving("m1")).toEqual([]);
    expect(registry.models()).toEqual(["m3"]);
  });

  it("masks a user and password in every view of a backend's URL and keeps them out of its origin", () => {
    const registry = new Registry();
    const state = registry.add("secret", backend("http://user:PASSWORD@127.0.0.1:8000/v1/", ["m"]));
    expect(state.url).toBe("http://***:***@127.0.0.1:8000/v1");
    expect(state.origin).toBe("http://127.0.0.1:8000");
    expect(state.pathFor("/v1/models")).toBe("/v1/models");
    expect(JSON.stringify(state.snapshot())).not.toContain("PASSWORD");
    expect(registry.add("plain", backend("http://127.0.0.1:8001/", ["m"])).url).toBe("http://127.0.0.1:8001");
  });

  it("shows its origin's connection pool figures in its snapshot", () => {
    const figures = { queued: 3, running: 2, connected: 2, free: 0 };
    const registry = new Registry({
      upstreamFigures: (origin) => (origin === "http://127.0.0.1:1" ? figures : undefined!),
    });
    const state = registry.add("a", backend("http://127.0.0.1:1/v1", ["m"]));
    expect(state.snapshot().upstream).toEqual(figures);
    expect(new Registry().add("b", backend("http://127.0.0.1:2", ["m"])).upstream.queued).toBe(0);
  });

  it("joins a backend's base path with route paths without doubling /v1", () => {
    const registry = new Registry();
    const plain = registry.add("plain", backend("http://127.0.0.1:1", ["m"]));
    const hosted = registry.add("hosted", backend("https://api.example.com/v1/", ["m"]));
    const prefixed = registry.add("prefixed", backend("http://127.0.0.1:3/openai", ["m"]));
    expect(plain.pathFor("/v1/chat/completions")).toBe("/v1/chat/completions");
    expect(hosted.origin).toBe("https://api.example.com");
    expect(hosted.pathFor("/v1/chat/completions")).toBe("/v1/chat/completions");
    expect(prefixed.pathFor("/v1/models")).toBe("/openai/v1/models");
  });

  it("treats a backend at its cap as not routable", () => {
    const registry = new Registry();
    const capped = registry.add(
      "c",
      backendSchema.parse({ url: "http://127.0.0.1:1", models: ["m"], max_connections: 1 }),
    );
    expect(capped.routable).toBe(true);
    capped.inflight = 1;
    expect(capped.routable).toBe(false);
  });
});
