/**
 * A global cap through a Redis crash: two replicas share a real `redis-server` and a backend capped
 * at CAP, under more load than the cap admits. Mid-load Redis is killed with SIGKILL and started
 * again, empty, on the same port (or stopped with SIGTERM and started again with its data). The mock's own count of concurrent requests says whether the
 * cap ever broke (while Redis was away, while the replicas reconnected, after), and whether the
 * backend is used up to its cap again afterwards; no lease is left behind once the load stops.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { chat, eventually, getJson, postJson } from "../helpers/http.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { randomNamespace, startReplica } from "../helpers/replicas.js";
import { writeTempConfig } from "../helpers/temp-config.js";

const available = redisServerAvailable();
const CAP = 3;
/** Clients per replica: together well over the cap, so it is reached whenever it may be. */
const CLIENTS = 6;

const servers: RedisServer[] = [];
const configs: { remove(): void }[] = [];
afterAll(async () => {
  await stopAll();
  await Promise.all(servers.map((server) => server.stop()));
  for (const config of configs) config.remove();
});

const url = (process: CliProcess) => process.ready[0]!.url;
const stateOf = async (gateway: CliProcess) =>
  (await getJson<{ state: string }>(`${url(gateway)}/health`)).body.state;
const maxSeen = async (mock: CliProcess) =>
  (await getJson<{ max_inflight_seen: number }>(`${url(mock)}/mock/stats`)).body.max_inflight_seen;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** SIGKILL without persistence: Redis comes back empty. SIGTERM with an append-only file: it comes back with the leases of the moment it stopped. */
const CASES = [
  { name: "killed (SIGKILL), back empty", persisted: false, down: (redis: RedisServer) => redis.kill() },
  {
    name: "stopped (SIGTERM), back with its data",
    persisted: true,
    down: (redis: RedisServer) => redis.stop(),
  },
];

describe.runIf(available)("a global cap through a Redis crash and restart", () => {
  it.each(CASES)(
    "never exceeds the cap and reaches it again: $name",
    async ({ persisted, down }) => {
      const dataDir = persisted ? mkdtempSync(join(tmpdir(), "switchyard-redis-")) : undefined;
      if (dataDir) dirs.push(dataDir);
      const redis = await startRedisServer(undefined, { dataDir });
      servers.push(redis);
      const mock = await startCli(["mock", "--port", "0", "--id", "gpu", "--first-token-delay-ms", "100"]);
      const config = writeTempConfig({
        queue_timeout: 120,
        circuit_breaker_threshold: 0,
        backends: [{ name: "gpu", url: url(mock), models: ["mock-model"], max_connections: CAP }],
      });
      configs.push(config);
      const namespace = randomNamespace();
      const replicas = await Promise.all(
        [0, 1].map(() => startReplica(redis.url, namespace, ["--config", config.path])),
      );

      const statuses: number[] = [];
      let loading = true;
      const client = async (gateway: CliProcess) => {
        while (loading) statuses.push((await chat(url(gateway), "mock-model")).status);
      };
      const clients = replicas.flatMap((gateway) => Array.from({ length: CLIENTS }, () => client(gateway)));
      const served = (more: number) => {
        const target = statuses.length + more;
        return eventually(() => statuses.length >= target, 30_000);
      };
      try {
        await eventually(async () => (await maxSeen(mock)) >= CAP, 15_000);

        await down(redis);
        await eventually(async () =>
          (await Promise.all(replicas.map(stateOf))).every((s) => s === "degraded"),
        );
        // Served while Redis is away: each replica within the share of the cap it held.
        await served(2 * CAP);

        await redis.start(); // same port
        await eventually(async () => (await Promise.all(replicas.map(stateOf))).every((s) => s === "redis"));
        await served(2 * CAP);
        expect(await maxSeen(mock)).toBeLessThanOrEqual(CAP);

        // From here on, only what happens after the restart counts: the cap is reached again.
        await postJson(`${url(mock)}/mock/reset`, {});
        await eventually(async () => (await maxSeen(mock)) >= CAP, 15_000);
        await served(4 * CAP);
      } finally {
        loading = false;
        await Promise.all(clients);
      }
      expect(await maxSeen(mock)).toBe(CAP);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);

      // Every request is over: no lease is left counting against the cap (none waits for lease_ttl).
      const raw = createClient({ url: redis.url });
      await raw.connect();
      try {
        const key = `switchyard:${namespace}:lease:gpu`;
        await eventually(async () => (await raw.zCount(key, Date.now(), "+inf")) === 0, 5_000);
      } finally {
        await raw.quit();
      }
    },
    120_000,
  );
});
