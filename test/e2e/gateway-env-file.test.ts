/**
 * A `.env` in the gateway's working directory, as the key-pool proxy's quick start writes it (an
 * unquoted JSON value over several lines included), configures the hosted services; editing it
 * reloads the key pools without a restart. Key values never show up in what the gateway prints.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { eventually, getJson } from "../helpers/http.js";

const cwd = mkdtempSync(join(tmpdir(), "switchyard-dotenv-"));
afterAll(async () => {
  await stopAll();
  rmSync(cwd, { recursive: true, force: true });
});

/** Unset, so only the .env configures the services (the real environment would win over it). */
const WITHOUT_SERVICE_ENV = {
  OPENAI_API_KEYS: undefined,
  OPENAI_API_KEY: undefined,
  ANTHROPIC_API_KEYS: undefined,
  ANTHROPIC_API_KEY: undefined,
  SERVICE_ENDPOINTS: undefined,
  SWITCHYARD_CONFIG: undefined,
  SWITCHYARD_BACKENDS: undefined,
  SWITCHYARD_DOTENV: undefined,
};

const KEYS = ["sk-dotenv-one-7f3a", "sk-dotenv-two-9c1e", "sk-dotenv-three-4b8d"];
const ANTHROPIC_KEY = "sk-ant-dotenv-only-2d6f";

function writeDotenv(openaiKeys: string[], openai: CliProcess[], anthropic: CliProcess) {
  const endpoints = (mocks: CliProcess[]) =>
    mocks.map((mock) => `    "${mock.ready[0]!.url}/v1"`).join(",\n");
  writeFileSync(
    join(cwd, ".env"),
    [
      "# Multiple API Keys (comma-separated)",
      `OPENAI_API_KEYS="${openaiKeys.join(",")}"`,
      `ANTHROPIC_API_KEYS="${ANTHROPIC_KEY}"`,
      "",
      "# Custom Endpoints (JSON format)",
      "SERVICE_ENDPOINTS={",
      '  "openai": [',
      endpoints(openai),
      "  ],",
      '  "anthropic": [',
      endpoints([anthropic]),
      "  ]",
      "}",
      "",
    ].join("\n"),
  );
}

interface StatsBody {
  load_balancer_stats: Record<"openai" | "anthropic", { keys_count: number; endpoints: string[] }>;
}

describe("a .env in the working directory", () => {
  it("configures the key pools, and an edit takes effect on reload", async () => {
    const models = ["--models", "gpt-4o-mini,claude-3-haiku"];
    const [a, b, c] = await Promise.all(
      ["oa-a", "oa-b", "an-c"].map((id) => startCli(["mock", "--port", "0", "--id", id, ...models])),
    );
    writeDotenv(KEYS.slice(0, 2), [a!, b!], c!);
    const gateway = await startCli(["gateway", "--port", "0", "--log-level", "info"], {
      cwd,
      env: WITHOUT_SERVICE_ENV,
    });
    const base = gateway.ready[0]!.url;
    const stats = async () => (await getJson<StatsBody>(`${base}/stats`)).body.load_balancer_stats;

    const before = await stats();
    expect(before.openai.keys_count).toBe(2);
    expect(before.openai.endpoints).toHaveLength(2);
    expect(before.anthropic.keys_count).toBe(1);

    writeDotenv(KEYS, [a!, b!], c!);
    await eventually(async () => (await stats()).openai.keys_count === 3, 10_000);
    expect((await stats()).anthropic.keys_count).toBe(1);

    const chat = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(chat.status).toBe(200);
    const everything = `${gateway.output()}${JSON.stringify(await stats())}`;
    for (const key of [...KEYS, ANTHROPIC_KEY]) expect(everything).not.toContain(key);
  });
});
