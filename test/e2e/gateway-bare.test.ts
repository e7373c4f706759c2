/**
 * A gateway told nothing starts empty and says how to add a backend; backends join at run time
 * through `POST /backends/register` (the model-server load balancer's flow). `--demo` is the only
 * way to get the local mock backends.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { chat, eventually, getJson, postJson } from "../helpers/http.js";

afterAll(stopAll);

/** Nothing configured through the environment either, whatever the test runner's shell holds. */
const EMPTY_ENV = {
  SWITCHYARD_CONFIG: "",
  SWITCHYARD_BACKENDS: "",
  OPENAI_API_KEYS: "",
  OPENAI_API_KEY: "",
  ANTHROPIC_API_KEYS: "",
  ANTHROPIC_API_KEY: "",
  SERVICE_ENDPOINTS: "",
};

const url = (process: CliProcess) => process.ready[0]!.url;

interface HealthBody {
  backends: { total: number; healthy: number };
}
const health = async (gateway: CliProcess) => (await getJson<HealthBody>(`${url(gateway)}/health`)).body;
const modelIds = async (gateway: CliProcess) =>
  (await getJson<{ data: { id: string }[] }>(`${url(gateway)}/v1/models`)).body.data.map((model) => model.id);

describe("a bare gateway", () => {
  it("starts with no backends, says how to add one, and serves only what registers", async () => {
    const gateway = await startCli(
      ["gateway", "--port", "0", "--strategy", "least_connections", "--log-level", "warn"],
      { env: EMPTY_ENV },
    );
    expect((await health(gateway)).backends.total).toBe(0);
    await eventually(() => gateway.output().includes("/backends/register"));
    expect(gateway.output()).toContain("no backends configured");
    expect(gateway.output()).not.toContain("--demo: started");
    expect(await modelIds(gateway)).toEqual([]);

    const unknown = await chat(url(gateway), "gpt-oss-20b");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe("model_not_found");
    const anthropic = await postJson<{ type: string; error: { type: string } }>(
      `${url(gateway)}/v1/messages`,
      {
        model: "gpt-oss-20b",
        max_tokens: 16,
        messages: [{ role: "user", content: "hi" }],
      },
    );
    expect(anthropic.status).toBe(404);
    expect(anthropic.body).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    expect((await chat(url(gateway), "auto")).status).toBe(503);

    const mock = await startCli([
      "mock",
      "--port",
      "0",
      "--id",
      "gpt-oss-20b",
      "--models",
      "gpt-oss-20b,gpt-oss",
    ]);
    const registered = await postJson(`${url(gateway)}/backends/register`, {
      name: "gpt-oss-20b",
      url: url(mock),
      model_type: "gpt-oss",
      models: ["gpt-oss-20b", "gpt-oss"],
    });
    expect(registered.status).toBe(200);
    expect((await health(gateway)).backends.total).toBe(1);
    expect((await modelIds(gateway)).sort()).toEqual(["gpt-oss", "gpt-oss-20b"]);
    const routed = await chat(url(gateway), "auto");
    expect(routed.status).toBe(200);
    expect(routed.headers.get("x-routed-node")).toBe("gpt-oss-20b");
  });
});

describe("--demo", () => {
  it("runs four local mock backends and says so", async () => {
    const gateway = await startCli(["gateway", "--port", "0", "--demo", "--log-level", "warn"], {
      env: EMPTY_ENV,
    });
    await eventually(() => gateway.output().includes("--demo: started 4 local mock backends"));
    expect(gateway.output()).not.toContain("no backends configured");
    expect((await health(gateway)).backends.total).toBe(4);
    expect(await modelIds(gateway)).toEqual(["mock-model"]);
    expect((await chat(url(gateway), "mock-model")).headers.get("x-routed-node")).toMatch(/^mock-[1-4]$/);
  });
});
