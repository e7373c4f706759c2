/** What health probes learn from a backend's /v1/models, for backends with and without configured models. */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { backendSchema } from "../../src/config/schema.js";
import { HealthChecker, type ProbeAnswer } from "../../src/routing/health.js";
import { Registry } from "../../src/routing/registry.js";

const silent = pino({ level: "silent" });
const list = (...ids: string[]) => ({ object: "list", data: ids.map((id) => ({ id, object: "model" })) });

function setup(config: Record<string, unknown>) {
  const registry = new Registry();
  const backend = registry.add("b", backendSchema.parse({ url: "http://127.0.0.1:9", ...config }));
  const routes: Record<string, ProbeAnswer | Error> = { "/health": { status: 200, json: { status: "ok" } } };
  const checker = new HealthChecker(
    registry,
    async (_backend, path) => {
      const answer = routes[path] ?? { status: 404, json: undefined };
      if (answer instanceof Error) throw answer;
      return answer;
    },
    { intervalMs: 0, timeoutMs: 100 },
    silent,
  );
  return { registry, backend, routes, checker };
}

describe("health probes and /v1/models", () => {
  it("learn the ids a backend registered under other names answers to, without touching its routing names", async () => {
    const { registry, backend, routes, checker } = setup({ models: ["gpt-oss-20b", "gpt-oss"] });
    routes["/v1/models"] = { status: 200, json: list("gpt-oss-20b") };
    await checker.probe(backend);
    expect(backend.healthy).toBe(true);
    expect(backend.ownModels).toEqual(["gpt-oss-20b"]);
    expect(registry.models()).toEqual(["gpt-oss-20b", "gpt-oss"]);
    expect(backend.upstreamModel("gpt-oss")).toBe("gpt-oss-20b");
  });

  it("keep a backend without /v1/models healthy, its names forwarded as asked", async () => {
    const { backend, checker } = setup({ models: ["gpt-oss"] });
    await checker.probe(backend);
    expect(backend.healthy).toBe(true);
    expect(backend.ownModels).toBeUndefined();
    expect(backend.upstreamModel("gpt-oss")).toBe("gpt-oss");
  });

  it("keep what a backend listed through a failed listing, and refresh it on the next probe", async () => {
    const { backend, routes, checker } = setup({ models: ["alias"] });
    routes["/v1/models"] = { status: 200, json: list("one") };
    await checker.probe(backend);
    routes["/v1/models"] = new Error("socket hang up");
    await checker.probe(backend);
    expect(backend.healthy).toBe(true);
    expect(backend.ownModels).toEqual(["one"]);
    routes["/v1/models"] = { status: 200, json: list("two") };
    await checker.probe(backend);
    expect(backend.upstreamModel("alias")).toBe("two");
  });

  it("use the listing a backend without configured models is routed by as its own ids", async () => {
    const { registry, backend, routes, checker } = setup({ health_path: "/v1/models" });
    routes["/v1/models"] = { status: 200, json: list("m1") };
    await checker.probe(backend);
    expect(registry.models()).toEqual(["m1"]);
    expect(backend.ownModels).toEqual(["m1"]);
  });
});
