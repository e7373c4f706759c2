/**
 * Runtime keys and budgets in one gateway process, over real HTTP in front of an in-process
 * upstream: the admin API (400 naming the field, 404, the secret shown once), keys beside the
 * configured ones, expiry, rotation and revocation, and budgets refused in each client's protocol
 * and settled to what requests used.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { chatCompletion, type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.js";
import { eventually } from "../helpers/http.js";

let upstream: FakeUpstream;
let gateway: Gateway;
let base: string;
const CONFIGURED = "sk-configured-key-0123";

/** Every shape these tests read, as one: an answer has the fields its test looks at. */
interface Answer {
  error: { code: string; message: string; param: string | null };
  id: string;
  key: string;
  key_sha256?: string;
  status: string;
  keys: { id: string }[];
  spend: { budgets: { spent: number }[] }[];
}

beforeAll(async () => {
  upstream = await startFakeUpstream((_req, res) => chatCompletion(res));
  gateway = buildGateway(
    gatewayConfigSchema.parse({
      port: 0,
      log_level: "silent",
      health_interval: 0,
      load_interval: 0,
      backends: [{ name: "up", url: upstream.url, models: ["m", "other"] }],
      client_keys: [{ name: "configured", key: CONFIGURED }],
      team_budgets: { search: [{ tokens: 600, period: "day" }] },
    }),
  );
  base = await gateway.start();
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

async function admin(method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

async function chat(key: string, extra: Record<string, unknown> = {}) {
  const response = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], ...extra }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Answer,
  };
}

describe("runtime keys", () => {
  it("are made with their secret shown once, work beside configured keys, and are listed without it", async () => {
    const created = await admin("POST", "/admin/keys", {
      name: "ci-bot",
      models: ["m"],
      metadata: { user: "ana" },
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sk-swy-/);
    expect(created.body.key_sha256).toBeUndefined();
    expect((await chat(created.body.key)).status).toBe(200);
    expect((await chat(CONFIGURED)).status).toBe(200);
    expect((await chat(created.body.key, { model: "other" })).body.error.code).toBe("model_not_allowed");
    const listed = await admin("GET", "/admin/keys");
    const shown = listed.body.keys.find((key: { id: string }) => key.id === created.body.id);
    expect(shown).toMatchObject({
      name: "ci-bot",
      metadata: { user: "ana" },
      key_hint: expect.stringMatching(/^sk-swy-/),
    });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
  });

  it("refuse malformed admin calls with 400 naming the field, and unknown ids with 404", async () => {
    const cases: [unknown, string][] = [
      [{}, "name"],
      [{ name: "x", rpm: -1 }, "rpm"],
      [{ name: "x", expires_at: "tomorrow" }, "expires_at"],
      [{ name: "x", budgets: [{ usd: 5, period: "fortnight" }] }, "budgets.0.period"],
      [{ name: "x", budgets: [{ period: "day" }] }, "budgets.0.usd"],
      [{ name: "x", budgets: [{ tokens: 5, period: "rolling" }] }, "budgets.0.window"],
      [{ name: "x", colour: "red" }, ""],
    ];
    for (const [body, param] of cases) {
      const answer = await admin("POST", "/admin/keys", body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe("invalid_request");
      if (param) expect(answer.body.error.param).toBe(param);
    }
    expect((await admin("PATCH", "/admin/keys/key_missing", { rpm: 1 })).status).toBe(404);
    expect((await admin("GET", "/admin/keys/key_missing")).body.error.code).toBe("key_not_found");
  });

  it("refuse an expired key with 401, and work again once its expiry is moved", async () => {
    const created = await admin("POST", "/admin/keys", { name: "old", expires_at: "2020-01-01T00:00:00Z" });
    const refused = await chat(created.body.key);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("expired_api_key");
    await admin("PATCH", `/admin/keys/${created.body.id}`, { expires_at: null });
    expect((await chat(created.body.key)).status).toBe(200);
  });

  it("rotate to a new secret (the old one stops working) and revoke", async () => {
    const created = await admin("POST", "/admin/keys", { name: "rotating" });
    const rotated = await admin("POST", `/admin/keys/${created.body.id}/rotate`);
    expect(rotated.body.key).not.toBe(created.body.key);
    expect((await chat(created.body.key)).body.error.code).toBe("invalid_api_key");
    expect((await chat(rotated.body.key)).status).toBe(200);
    expect((await admin("DELETE", `/admin/keys/${created.body.id}`)).body.status).toBe("revoked");
    expect((await chat(rotated.body.key)).status).toBe(401);
    expect((await admin("DELETE", `/admin/keys/${created.body.id}`)).status).toBe(404);
  });
});

describe("budgets", () => {
  it("reserve the worst case, settle what was used, and refuse in the client's protocol with the reset", async () => {
    const created = await admin("POST", "/admin/keys", {
      name: "budgeted",
      budgets: [{ tokens: 500, period: "day" }],
    });
    const key = created.body.key as string;
    // Worst case: the prompt estimate (body bytes / 3) plus 300 completion tokens; used: 2 tokens.
    expect((await chat(key, { max_tokens: 300 })).status).toBe(200);
    // The settlement runs once the answer is over, just after the client has it.
    await eventually(
      async () =>
        (await admin("GET", `/admin/keys/${created.body.id}`)).body.spend[0]?.budgets[0]?.spent === 2,
    );
    const spend = await admin("GET", `/admin/keys/${created.body.id}`);
    expect(spend.body.spend).toEqual([
      {
        scope: "key",
        owner: created.body.id,
        budgets: [{ budget: { tokens: 500, period: "day" }, unit: "tokens", spent: 2 }],
      },
    ]);
    const refused = await chat(key, { max_tokens: 600 });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("budget_exceeded");
    expect(refused.body.error.message).toMatch(
      /key 'budgeted' budget of 500 tokens per day .* resets at \d{4}-/,
    );
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const anthropic = await fetch(`${base}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "m", max_tokens: 600, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(anthropic.status).toBe(429);
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
  });

  it("charge a key's team budget beside its own", async () => {
    const first = await admin("POST", "/admin/keys", { name: "s1", metadata: { team: "search" } });
    const second = await admin("POST", "/admin/keys", { name: "s2", metadata: { team: "search" } });
    // Without max_tokens the default cap (4096) is the worst case: more than the team's 600.
    const refused = await chat(first.body.key);
    expect(refused.body.error.message).toMatch(/team 'search'/);
    expect((await chat(first.body.key, { max_tokens: 200 })).status).toBe(200);
    expect((await chat(second.body.key, { max_tokens: 200 })).status).toBe(200);
  });
});
