/**
 * Gateway replicas agreeing, through a real `redis-server` started here, on what used to stay per
 * replica: upstream key cooldowns and disabled keys, the one half-open probe of a circuit, and
 * registrations whose api_keys reach Redis only sealed. Each test has its own key namespace; every
 * process started here is stopped afterwards.
 */
import { createHash, randomBytes } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { chat, eventually, getJson, postJson } from "../helpers/http.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { randomNamespace, startReplica as startSharedReplica } from "../helpers/replicas.js";
import { writeTempConfig } from "../helpers/temp-config.js";

const available = redisServerAvailable();
let redis: RedisServer;
const configs: { remove(): void }[] = [];

afterAll(async () => {
  await stopAll();
  await redis?.stop();
  for (const config of configs) config.remove();
});

const url = (process: CliProcess) => process.ready[0]!.url;
const namespace = randomNamespace;
const startMock = (id: string, ...args: string[]) => startCli(["mock", "--port", "0", "--id", id, ...args]);

function startReplica(ns: string, args: string[], env: Record<string, string> = {}) {
  return startSharedReplica(redis.url, ns, args, env);
}

interface MockStats {
  requests: { chat: number };
  keys: Record<string, number>;
}
const mockStats = async (mock: CliProcess) => (await getJson<MockStats>(`${url(mock)}/mock/stats`)).body;
const keysSeen = async (mock: CliProcess, key: string) => (await mockStats(mock)).keys[key] ?? 0;

interface KeyView {
  fingerprint: string;
  disabled: boolean;
  cooling_down_ms: number;
}
/** A replica's view of one upstream key in `/stats` (which names keys by fingerprint only). */
async function keyView(gateway: CliProcess, key: string): Promise<KeyView | undefined> {
  const fingerprint = createHash("sha256").update(key).digest("hex").slice(0, 8);
  const { body } = await getJson<{ load_balancer_stats: { openai: { keys: KeyView[] } } }>(
    `${url(gateway)}/stats`,
  );
  return body.load_balancer_stats.openai.keys.find((view) => view.fingerprint === fingerprint);
}

/** Sends chats to `gateway` until the mock has seen `key` once more (round robin reaches it). */
async function sendUntilUsed(gateway: CliProcess, mock: CliProcess, key: string, model = "mock-model") {
  const before = await keysSeen(mock, key);
  for (let i = 0; i < 8; i++) {
    expect((await chat(url(gateway), model)).status).toBe(200);
    if ((await keysSeen(mock, key)) > before) return;
  }
  throw new Error(`the gateway never used ${key}`);
}

const circuitOf = async (gateway: CliProcess, name: string) =>
  (
    await getJson<{ backends: { name: string; circuit: string }[] }>(`${url(gateway)}/status`)
  ).body.backends.find((backend) => backend.name === name)?.circuit;

describe.runIf(available)(
  "replicas sharing key states, probes and sealed registrations through Redis",
  () => {
    beforeAll(async () => {
      redis = await startRedisServer();
    });

    it("skips on replica B a key refused (401) or rate limited (429) on replica A", async () => {
      const keys = ["sk-shared-one-1111", "sk-shared-busy-2222", "sk-shared-bad-3333", "sk-shared-four-4444"];
      const [, busy, bad] = keys as [string, string, string, string];
      const mock = await startMock("keyed");
      const config = writeTempConfig({ backends: [{ name: "keyed", url: url(mock), api_keys: keys }] });
      configs.push(config);
      const ns = namespace();
      const [a, b] = await Promise.all([
        startReplica(ns, ["--config", config.path]),
        startReplica(ns, ["--config", config.path]),
      ]);
      await postJson(`${url(mock)}/mock/faults`, { keyStatus: { [bad]: 401 } });

      // 401 on A: B learns the key is disabled and never sends it.
      await sendUntilUsed(a, mock, bad);
      await eventually(async () => (await keyView(b, bad))?.disabled === true, 5_000, 20);
      const badBefore = await keysSeen(mock, bad);
      for (let i = 0; i < 8; i++) expect((await chat(url(b), "mock-model")).status).toBe(200);
      expect(await keysSeen(mock, bad)).toBe(badBefore);

      // 429 on A (Retry-After: 30 s): B skips the key while it cools down.
      await postJson(`${url(mock)}/mock/faults`, {
        keyStatus: { [bad]: 401, [busy]: 429 },
        retryAfterSeconds: 30,
      });
      await sendUntilUsed(a, mock, busy);
      await eventually(async () => ((await keyView(b, busy))?.cooling_down_ms ?? 0) > 10_000, 5_000, 20);
      const busyBefore = await keysSeen(mock, busy);
      for (let i = 0; i < 8; i++) expect((await chat(url(b), "mock-model")).status).toBe(200);
      expect(await keysSeen(mock, busy)).toBe(busyBefore);
    }, 60_000);

    it("sends exactly one half-open probe across replicas when the circuit's open time has passed", async () => {
      const [good, flaky] = await Promise.all([startMock("good"), startMock("flaky", "--fail-rate", "1")]);
      const ns = namespace();
      const env = { CIRCUIT_BREAKER_THRESHOLD: "2", CIRCUIT_BREAKER_TTL_SECS: "4", MAX_RETRIES: "1" };
      const backends = ["--backend", `good=${url(good)}`, "--backend", `flaky=${url(flaky)}`];
      const [a, b] = await Promise.all([startReplica(ns, backends, env), startReplica(ns, backends, env)]);

      for (let i = 0; i < 6 && (await circuitOf(a, "flaky")) !== "open"; i++) {
        expect((await chat(url(a), "mock-model")).status).toBe(200);
      }
      expect(await circuitOf(a, "flaky")).toBe("open");
      await eventually(async () => (await circuitOf(b, "flaky")) === "open", 2_000, 20);
      await eventually(
        async () =>
          (await circuitOf(a, "flaky")) === "half_open" && (await circuitOf(b, "flaky")) === "half_open",
        10_000,
        50,
      );

      const before = (await mockStats(flaky)).requests.chat;
      const responses = await Promise.all(
        Array.from({ length: 16 }, (_, index) => chat(url(index % 2 === 0 ? a : b), "mock-model")),
      );
      expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
      expect((await mockStats(flaky)).requests.chat - before).toBe(1);
      // The probe failed: the circuit is open again on both.
      expect(await circuitOf(a, "flaky")).toBe("open");
      expect(await circuitOf(b, "flaky")).toBe("open");
    }, 60_000);

    it("keeps registered api_keys out of Redis in clear, refuses them without a secret, and shares them sealed", async () => {
      const secretKey = `sk-registered-${randomBytes(6).toString("hex")}`;
      const [base, hosted] = await Promise.all([
        startMock("base"),
        startMock("hosted", "--models", "hosted-model"),
      ]);
      const ns = namespace();
      const baseFlag = ["--backend", `base=${url(base)}`];
      const secret = { SWITCHYARD_STATE_SECRET: "one secret for the fleet" };
      const [a, b, plain, stranger] = await Promise.all([
        startReplica(ns, baseFlag, secret),
        startReplica(ns, baseFlag, secret),
        startReplica(ns, baseFlag),
        startReplica(ns, baseFlag, { SWITCHYARD_STATE_SECRET: "another secret" }),
      ]);
      const registration = {
        name: "hosted",
        url: url(hosted),
        models: ["hosted-model"],
        api_keys: [secretKey],
      };

      const refused = await postJson<{ error: { code: string; param: string; message: string } }>(
        `${url(plain)}/backends/register`,
        registration,
      );
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: "invalid_request", param: "api_keys" });
      expect(refused.body.error.message).toContain("SWITCHYARD_STATE_SECRET");
      expect((await chat(url(plain), "hosted-model")).status).toBe(404);

      expect((await postJson(`${url(a)}/backends/register`, registration)).status).toBe(200);
      await eventually(async () => (await chat(url(b), "hosted-model")).status === 200, 5_000, 20);
      const seenBefore = await keysSeen(hosted, secretKey);
      const served = await chat(url(b), "hosted-model");
      expect(served.status).toBe(200);
      expect(served.headers.get("x-routed-node")).toBe("hosted");
      expect(await keysSeen(hosted, secretKey)).toBe(seenBefore + 1);

      // Everything in the fleet's namespace, read back with a plain client: the record is there,
      // sealed; the key value is nowhere.
      const client = createClient({ url: redis.url });
      await client.connect();
      try {
        const stored: string[] = [];
        for (const key of await client.keys(`switchyard:${ns}:*`)) {
          const type = await client.type(key);
          if (type === "string") stored.push(String(await client.get(key)));
          else if (type === "hash") stored.push(JSON.stringify(await client.hGetAll(key)));
          else if (type === "set") stored.push(JSON.stringify(await client.sMembers(key)));
          else if (type === "zset") stored.push(JSON.stringify(await client.zRange(key, 0, -1)));
          else if (type === "list") stored.push(JSON.stringify(await client.lRange(key, 0, -1)));
        }
        const everything = stored.join("\n");
        expect(everything).toContain("sealed_api_keys");
        expect(everything).not.toContain(secretKey);
        expect(everything).not.toContain("sk-registered");
      } finally {
        await client.quit();
      }

      // A replica whose secret does not open the record ignores it, and keeps serving.
      expect((await getJson(`${url(stranger)}/health`)).status).toBe(200);
      expect((await chat(url(stranger), "hosted-model")).status).toBe(404);
      expect((await chat(url(stranger), "mock-model")).status).toBe(200);
      expect(await keysSeen(hosted, secretKey)).toBe(seenBefore + 1);
    }, 60_000);
  },
);
