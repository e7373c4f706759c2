/**
 * Key-pool workflow: with hosted services configured by OPENAI_API_KEYS / ANTHROPIC_API_KEY /
 * SERVICE_ENDPOINTS (mocks standing in for the services), `GET /v1/models` lists what the services
 * themselves serve, asked once with a pool key, and never shows a key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { getJson } from "../helpers/http.js";

const OPENAI_KEYS = ["sk-list-alpha-1111", "sk-list-bravo-2222"];
const ANTHROPIC_KEY = "sk-ant-list-charlie-3333";
let openai: CliProcess;
let anthropic: CliProcess;

interface MockStats {
  requests: { models: number };
  recent: { route: string; key: string | null }[];
}
const stats = async (mock: CliProcess) => (await getJson<MockStats>(`${mock.ready[0]!.url}/mock/stats`)).body;

const hostedGateway = (endpoints: { openai: string[]; anthropic: string[] }) =>
  startCli(["gateway", "--port", "0", "--log-level", "error"], {
    env: {
      SWITCHYARD_CONFIG: "",
      SWITCHYARD_BACKENDS: "",
      OPENAI_API_KEYS: OPENAI_KEYS.join(","),
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      SERVICE_ENDPOINTS: JSON.stringify(endpoints),
    },
  });

beforeAll(async () => {
  [openai, anthropic] = await Promise.all([
    startCli(["mock", "--port", "0", "--id", "openai", "--models", "gpt-4o-mini,gpt-4o,whisper-1"]),
    startCli(["mock", "--port", "0", "--id", "anthropic", "--models", "claude-3-haiku"]),
  ]);
});

afterAll(stopAll);

describe("key-pool workflow: GET /v1/models", () => {
  it("lists the models the configured services serve, asking each once with a pool key", async () => {
    const gateway = await hostedGateway({
      openai: [`${openai.ready[0]!.url}/v1`],
      anthropic: [`${anthropic.ready[0]!.url}/v1`],
    });
    const base = gateway.ready[0]!.url;
    const first = await fetch(`${base}/v1/models`);
    const text = await first.text();
    expect(first.status).toBe(200);
    const ids = (JSON.parse(text) as { data: { id: string }[] }).data.map((entry) => entry.id);
    // whisper-1 would not be routed to the OpenAI service by its model patterns, so it is not offered.
    expect(ids).toEqual(["gpt-4o-mini", "gpt-4o", "claude-3-haiku"]);
    for (const key of [...OPENAI_KEYS, ANTHROPIC_KEY]) expect(text).not.toContain(key);

    expect((await getJson(`${base}/v1/models`)).status).toBe(200);
    const [openaiStats, anthropicStats] = await Promise.all([stats(openai), stats(anthropic)]);
    expect(openaiStats.requests.models).toBe(1);
    expect(anthropicStats.requests.models).toBe(1);
    expect(openaiStats.recent.find((entry) => entry.route === "models")?.key).toBe(OPENAI_KEYS[0]);
    expect(anthropicStats.recent.find((entry) => entry.route === "models")?.key).toBe(ANTHROPIC_KEY);

    const chat = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: ids[0], messages: [{ role: "user", content: "hi" }] }),
    });
    expect(chat.status).toBe(200);
  });

  it("falls back to the services' model patterns when a service cannot be asked", async () => {
    // Nothing listens on port 1: both services refuse the connection (and nothing leaves the machine).
    const nowhere = "http://127.0.0.1:1/v1";
    const gateway = await hostedGateway({ openai: [nowhere], anthropic: [nowhere] });
    const listed = await getJson<{ data: { id: string }[] }>(`${gateway.ready[0]!.url}/v1/models`);
    expect(listed.status).toBe(200);
    const ids = listed.body.data.map((entry) => entry.id);
    expect(ids).toEqual(expect.arrayContaining(["gpt-*", "claude-*"]));
    expect(ids.every((id) => id.endsWith("*"))).toBe(true);
  });
});
