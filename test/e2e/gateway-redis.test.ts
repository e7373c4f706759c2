/**
 * Gateway replicas sharing state through a real `redis-server` (started here on a free port):
 * registrations, circuits and global caps seen alike by every replica, and serving through a
 * Redis outage. Each test uses its own key namespace (or its own server), and every process it
 * starts is stopped afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { chat, eventually, getJson, postJson } from "../helpers/http.js";
import { freePort, RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { randomNamespace, startReplica } from "../helpers/replicas.js";
import { writeTempConfig } from "../helpers/temp-config.js";

const available = redisServerAvailable();
const servers: RedisServer[] = [];
const configs: { remove(): void }[] = [];

afterAll(async () => {
  await stopAll();
  await Promise.all(servers.map((server) => server.stop()));
  for (const config of configs) config.remove();
});

const url = (process: CliProcess) => process.ready[0]!.url;
const startMock = (id: string, ...args: string[]) => startCli(["mock", "--port", "0", "--id", id, ...args]);
const backendFlag = (mock: CliProcess) => ["--backend", `${mock.ready[0]!.id}=${url(mock)}`];

interface StatusBody {
  total_inflight: number;
  backends: { name: string; circuit: string; source: string }[];
}
const status = async (gateway: CliProcess) => (await getJson<StatusBody>(`${url(gateway)}/status`)).body;
const circuitOf = async (gateway: CliProcess, name: string) =>
  (await status(gateway)).backends.find((backend) => backend.name === name)?.circuit;
const stateOf = async (gateway: CliProcess) =>
  (await getJson<{ state: string }>(`${url(gateway)}/health`)).body.state;
interface MockStats {
  requests: { chat: number };
  inflight: number;
  max_inflight_seen: number;
}
const mockStats = async (mock: CliProcess) => (await getJson<MockStats>(`${url(mock)}/mock/stats`)).body;

describe("a gateway without Redis", () => {
  it("keeps its state in memory and says so in /health", async () => {
    const mock = await startMock("alone");
    const gateway = await startCli(["gateway", "--port", "0", "--log-level", "error", ...backendFlag(mock)]);
    expect(await stateOf(gateway)).toBe("memory");
    expect((await chat(url(gateway), "mock-model")).status).toBe(200);
  });
});

describe.runIf(available)("gateway replicas sharing state through Redis", () => {
  let redis: RedisServer;
  const namespace = randomNamespace;

  beforeAll(async () => {
    redis = await startRedisServer();
    servers.push(redis);
  });

  it("takes ai-lb's REDIS_PORT alone as Redis on localhost", async () => {
    const mock = await startMock("port-only");
    const gateway = await startCli(
      [
        "gateway",
        "--port",
        "0",
        "--log-level",
        "error",
        "--redis-namespace",
        namespace(),
        ...backendFlag(mock),
      ],
      { env: { REDIS_PORT: String(redis.port), REDIS_HOST: "", SWITCHYARD_REDIS_URL: "" } },
    );
    expect(await stateOf(gateway)).toBe("redis");
    expect((await chat(url(gateway), "mock-model")).status).toBe(200);
  });

  it("serves through replica B a backend registered on replica A within a second", async () => {
    const [base, extra] = await Promise.all([
      startMock("base", "--models", "base-model"),
      startMock("extra", "--models", "extra-model"),
    ]);
    const ns = namespace();
    const [a, b] = await Promise.all([
      startReplica(redis.url, ns, backendFlag(base)),
      startReplica(redis.url, ns, backendFlag(base)),
    ]);
    expect(await stateOf(a)).toBe("redis");
    expect((await chat(url(b), "extra-model")).status).toBe(404);

    const registered = await postJson(`${url(a)}/backends/register`, {
      name: "extra",
      url: url(extra),
      models: ["extra-model"],
    });
    expect(registered.status).toBe(200);
    const since = Date.now();
    await eventually(async () => (await chat(url(b), "extra-model")).status === 200, 1_000, 20);
    const response = await chat(url(b), "extra-model");
    expect(response.headers.get("x-routed-node")).toBe("extra");
    expect((await status(b)).backends.find((backend) => backend.name === "extra")?.source).toBe("runtime");
    console.info(`registration on A served through B after ${Date.now() - since} ms`);

    // A replica started later loads it at start; an unregister on B removes it everywhere.
    const c = await startReplica(redis.url, ns, backendFlag(base));
    expect((await chat(url(c), "extra-model")).status).toBe(200);
    expect((await postJson(`${url(b)}/backends/unregister`, { name: "extra" })).status).toBe(200);
    await eventually(async () => (await chat(url(a), "extra-model")).status === 404, 3_000, 20);
    await eventually(async () => (await chat(url(c), "extra-model")).status === 404, 3_000, 20);
  });

  it("opens on replica B a circuit that failures on replica A opened, and B sends nothing to it", async () => {
    const [good, flaky] = await Promise.all([startMock("good"), startMock("flaky", "--fail-rate", "1")]);
    const ns = namespace();
    const env = { CIRCUIT_BREAKER_THRESHOLD: "3", CIRCUIT_BREAKER_TTL_SECS: "30", MAX_RETRIES: "1" };
    const backends = [...backendFlag(good), ...backendFlag(flaky)];
    const [a, b] = await Promise.all([
      startReplica(redis.url, ns, backends, env),
      startReplica(redis.url, ns, backends, env),
    ]);

    for (let i = 0; i < 8; i++) expect((await chat(url(a), "mock-model")).status).toBe(200);
    expect(await circuitOf(a, "flaky")).toBe("open");
    await eventually(async () => (await circuitOf(b, "flaky")) === "open", 3_000, 20);

    const before = (await mockStats(flaky)).requests.chat;
    for (let i = 0; i < 6; i++) {
      const response = await chat(url(b), "mock-model");
      expect(response.status).toBe(200);
      expect(response.headers.get("x-routed-node")).toBe("good");
    }
    expect((await mockStats(flaky)).requests.chat).toBe(before);
  });

  it("holds a backend's max_connections across replicas under concurrent load", async () => {
    const slow = await startMock("slow", "--first-token-delay-ms", "300");
    const config = writeTempConfig({ backends: [{ name: "slow", url: url(slow), max_connections: 4 }] });
    configs.push(config);
    const ns = namespace();
    const replicas = await Promise.all(
      Array.from({ length: 3 }, () => startReplica(redis.url, ns, ["--config", config.path])),
    );
    const started = performance.now();
    const responses = await Promise.all(
      Array.from({ length: 18 }, (_, index) => chat(url(replicas[index % 3]!), "mock-model")),
    );
    const elapsed = performance.now() - started;
    const codes = responses.map((response) => response.status);
    for (const code of codes) expect([200, 429]).toContain(code);
    expect(codes.filter((code) => code === 200).length).toBeGreaterThanOrEqual(4);
    const stats = await mockStats(slow);
    // The mock's own count of concurrent requests: never above the cap, whichever replica sent them.
    expect(stats.max_inflight_seen).toBeLessThanOrEqual(4);
    expect(stats.max_inflight_seen).toBeGreaterThanOrEqual(1);
    for (const replica of replicas) expect((await status(replica)).total_inflight).toBe(0);
    console.info(
      `18 requests over 3 replicas, global cap 4: ${codes.join(",")} in ${Math.round(elapsed)} ms, max inflight ${stats.max_inflight_seen}`,
    );
  });

  it("gives a killed replica's leases back after lease_ttl: the cap is whole again on the others", async () => {
    const held = await startMock("held");
    const config = writeTempConfig({ backends: [{ name: "held", url: url(held), max_connections: 4 }] });
    configs.push(config);
    const ns = namespace();
    // Leases are renewed every lease_ttl / 2, so after the kill they live on for 2 to 4 s.
    const args = [
      "--config",
      config.path,
      "--lease-ttl",
      "4",
      "--queue-timeout",
      "0.2",
      "--max-retries",
      "0",
    ];
    const [a, b] = await Promise.all([startReplica(redis.url, ns, args), startReplica(redis.url, ns, args)]);
    await postJson(`${url(held)}/mock/faults`, { firstTokenDelayMs: 60_000 });
    const hanging = Array.from({ length: 4 }, () => chat(url(a!), "mock-model").catch(() => undefined));
    await eventually(async () => (await mockStats(held)).inflight === 4, 10_000);
    a!.child.kill("SIGKILL");
    const killedAt = performance.now();
    await Promise.all(hanging);
    await postJson(`${url(held)}/mock/faults`, { firstTokenDelayMs: 0 });

    // Right after the kill, the dead replica's four leases still fill the cap for replica B.
    const early = await chat(url(b!), "mock-model");
    const earlyMs = performance.now() - killedAt;
    if (earlyMs < 1_500) expect(early.status).toBe(429);
    else console.info(`the first request after the kill took ${Math.round(earlyMs)} ms: lease check skipped`);

    // Once they expire, B gets all four slots at once.
    await eventually(
      async () => {
        const codes = await Promise.all(
          Array.from({ length: 4 }, async () => (await chat(url(b!), "mock-model")).status),
        );
        return codes.every((code) => code === 200);
      },
      15_000,
      250,
    );
    expect((await status(b!)).total_inflight).toBe(0);
    expect((await mockStats(held)).max_inflight_seen).toBeLessThanOrEqual(4);
  }, 40_000);
});

describe.runIf(available)("gateway replicas through a Redis outage", () => {
  it("keeps serving, reports degraded while Redis is down and redis once it is back", async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const mock = await startMock("steady");
    const gateway = await startReplica(redis.url, "outage", backendFlag(mock), { DEFAULT_MAXCONN: "4" });
    expect(await stateOf(gateway)).toBe("redis");
    expect((await chat(url(gateway), "mock-model")).status).toBe(200);

    await redis.stop();
    const codes: number[] = [];
    const load = async (count: number) => {
      for (let i = 0; i < count; i++) codes.push((await chat(url(gateway), "mock-model")).status);
    };
    await Promise.all([load(10), load(10)]);
    await eventually(async () => (await stateOf(gateway)) === "degraded", 3_000);
    await load(5);

    await redis.start();
    await eventually(async () => (await stateOf(gateway)) === "redis", 5_000);
    await load(5);
    expect(codes.filter((code) => code !== 200)).toEqual([]);
    expect((await status(gateway)).total_inflight).toBe(0);
  });

  it("starts and serves while Redis is not there yet, and joins it once it is", async () => {
    const redis = new RedisServer(await freePort());
    servers.push(redis);
    const mock = await startMock("early");
    const gateway = await startReplica(redis.url, "late", backendFlag(mock), { DEFAULT_MAXCONN: "4" });
    expect(await stateOf(gateway)).toBe("degraded");
    expect((await chat(url(gateway), "mock-model")).status).toBe(200);
    await redis.start();
    await eventually(async () => (await stateOf(gateway)) === "redis", 5_000);
    expect((await chat(url(gateway), "mock-model")).status).toBe(200);
  });
});
