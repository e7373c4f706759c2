/**
 * A backend registered under a name it does not answer to itself: the model-server workflow puts
 * `switchyard serve --model-name gpt-oss-20b` behind a bare gateway registered with
 * `"models": ["gpt-oss-20b", "gpt-oss"]`, and a request for `gpt-oss` must reach it as the id the
 * server knows.
 */
import { afterAll, describe, expect, it } from "vitest";
import { startTinyServe } from "../fixtures/serve-process.js";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { type ChatCompletionBody, chat, getJson, postJson } from "../helpers/http.js";

afterAll(stopAll);

const bareGateway = () =>
  startCli(["gateway", "--port", "0", "--strategy", "least_connections", "--log-level", "error"], {
    env: { SWITCHYARD_CONFIG: "", SWITCHYARD_BACKENDS: "" },
  });

/** The model-server workflow's registration body, for a backend at `url`. */
const registration = (url: string) => ({
  name: "gpt-oss-20b",
  url,
  model_type: "gpt-oss",
  models: ["gpt-oss-20b", "gpt-oss"],
});

async function register(gateway: CliProcess, url: string) {
  const response = await postJson<{ status: string; backend: { served_models: string[] | null } }>(
    `${gateway.ready[0]!.url}/backends/register`,
    registration(url),
  );
  expect(response.status).toBe(200);
  return response.body.backend;
}

describe("model-server workflow: a name the backend was registered under", () => {
  it("reaches `switchyard serve` as the id it serves", async () => {
    const [serve, gateway] = await Promise.all([startTinyServe([], "gpt-oss-20b"), bareGateway()]);
    const direct = await chat(serve.url, "gpt-oss");
    expect(direct.status).toBe(404);
    expect((await register(gateway, serve.url)).served_models).toEqual(["gpt-oss-20b"]);

    const base = gateway.ready[0]!.url;
    for (const model of ["gpt-oss", "gpt-oss-20b"]) {
      const response = await chat(base, model);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body.choices[0]!.message.content.length).toBeGreaterThan(0);
      expect(response.headers.get("x-routed-node")).toBe("gpt-oss-20b");
    }
    const listed = await getJson<{ data: { id: string }[] }>(`${base}/v1/models`);
    expect(listed.body.data.map((entry) => entry.id)).toEqual(
      expect.arrayContaining(["gpt-oss-20b", "gpt-oss"]),
    );
  });

  it("reaches a mock that answers only its own model name, streaming too", async () => {
    const [mock, gateway] = await Promise.all([
      startCli(["mock", "--port", "0", "--models", "gpt-oss-20b"]),
      bareGateway(),
    ]);
    const mockUrl = mock.ready[0]!.url;
    expect((await chat(mockUrl, "gpt-oss")).status).toBe(404);
    await register(gateway, mockUrl);

    const base = gateway.ready[0]!.url;
    const response = await chat(base, "gpt-oss");
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect((response.body as ChatCompletionBody).model).toBe("gpt-oss-20b");
    const stream = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-oss", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(stream.status).toBe(200);
    expect(await stream.text()).toContain("data: [DONE]");
  });
});
