/**
 * Gateway API keys: required once configured, per-key model lists, requests- and tokens-per-minute
 * limits with Retry-After, errors in each SDK's own types, and the gateway key never sent upstream.
 */
import { createHash } from "node:crypto";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { getJson } from "../helpers/http.js";
import { writeTempConfig } from "../helpers/temp-config.js";

const TEAM_A = "sk-gw-team-a-0123456789";
const TEAM_B = "sk-gw-team-b-9876543210";
let base: string;
let mock: CliProcess;
let config: ReturnType<typeof writeTempConfig>;

beforeAll(async () => {
  mock = await startCli(["mock", "--port", "0", "--id", "m", "--models", "mock-model,other-model"]);
  config = writeTempConfig({
    backends: [{ name: "m", url: mock.ready[0]!.url, models: ["mock-model", "other-model"] }],
    client_keys: [
      { name: "team-a", key: TEAM_A, models: ["mock-*"], rpm: 3 },
      { name: "team-b", key_sha256: createHash("sha256").update(TEAM_B).digest("hex"), tpm: 10 },
    ],
  });
  const gateway = await startCli(["gateway", "--port", "0", "--config", config.path, "--log-level", "error"]);
  base = gateway.ready[0]!.url;
});

afterAll(async () => {
  await stopAll();
  config?.remove();
});

const openai = (apiKey: string) => new OpenAI({ baseURL: `${base}/v1`, apiKey, maxRetries: 0 });
const hello = [{ role: "user" as const, content: "hello" }];

describe("gateway API keys", () => {
  it("are required, and unknown ones are refused with 401", async () => {
    const missing = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-model", messages: hello }),
    });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("missing_api_key");
    const unknown = await openai("sk-not-a-gateway-key")
      .chat.completions.create({ model: "mock-model", messages: hello })
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(OpenAI.AuthenticationError);
    const anthropic = new Anthropic({ baseURL: base, apiKey: "sk-not-a-gateway-key", maxRetries: 0 });
    const viaAnthropic = await anthropic.messages
      .create({ model: "mock-model", max_tokens: 8, messages: hello })
      .catch((error: unknown) => error);
    expect(viaAnthropic).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it("limit a key to its models (403) and its requests per minute (429 with Retry-After)", async () => {
    const client = openai(TEAM_A);
    const forbidden = await client.chat.completions
      .create({ model: "other-model", messages: hello })
      .catch((error: unknown) => error);
    expect(forbidden).toBeInstanceOf(OpenAI.PermissionDeniedError);
    for (let i = 0; i < 3; i++)
      await client.chat.completions.create({ model: "mock-model", messages: hello });
    const limited = await client.chat.completions
      .create({ model: "mock-model", messages: hello })
      .catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(
      Number((limited as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after")),
    ).toBeGreaterThan(0);
  });

  it("limit a key stored as a digest to its tokens per minute", async () => {
    const client = openai(TEAM_B);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const outcome = await client.chat.completions
        .create({ model: "other-model", messages: hello })
        .then(() => 200)
        .catch((error: unknown) => (error as { status: number }).status);
      statuses.push(outcome);
    }
    // Each answer reports 4 tokens (1 prompt + 3 completion): the 10-token budget admits three requests.
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it("are never forwarded to a backend", async () => {
    const stats = await getJson<{ keys: Record<string, number> }>(`${mock.ready[0]!.url}/mock/stats`);
    expect(Object.keys(stats.body.keys)).toEqual([]);
  });
});
