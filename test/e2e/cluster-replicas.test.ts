/**
 * `switchyard cluster --replicas 2 --redis URL`: two gateway replicas sharing one real
 * `redis-server` (started here on a free port). A backend registered through replica 1 is served
 * by replica 2, and SIGTERM stops every child.
 */
import { afterAll, describe, expect, it } from "vitest";
import { startCli, stopAll } from "../helpers/cli-process.js";
import { chat, eventually, postJson } from "../helpers/http.js";
import { childPids, isAlive } from "../helpers/process-tree.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";

const available = redisServerAvailable();
const servers: RedisServer[] = [];

afterAll(async () => {
  await stopAll();
  await Promise.all(servers.map((server) => server.stop()));
});

describe.skipIf(!available)("switchyard cluster --replicas", () => {
  it("starts 2 replicas on one Redis: a registration on replica 1 is served by replica 2", async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const extra = await startCli(["mock", "--port", "0", "--id", "extra", "--models", "extra-model"]);
    const cluster = await startCli(
      [
        "cluster",
        "--num-backends",
        "1",
        "--backend-base-port",
        "0",
        "--lb-port",
        "0",
        "--replicas",
        "2",
        "--redis",
        redis.url,
        "--quiet",
      ],
      { readyCount: 3, timeoutMs: 20_000 },
    );
    expect(cluster.ready.map((line) => line.role)).toEqual(["backend", "gateway", "gateway"]);
    const [one, two] = [cluster.ready[1]!.url, cluster.ready[2]!.url];
    expect(one).not.toBe(two);
    expect((await chat(two, "mock-model")).status).toBe(200);
    expect((await chat(two, "extra-model")).status).toBe(404);

    const registered = await postJson(`${one}/backends/register`, {
      name: "extra",
      url: extra.ready[0]!.url,
      models: ["extra-model"],
    });
    expect(registered.status).toBe(200);
    await eventually(async () => (await chat(two, "extra-model")).status === 200, 2_000, 20);
    expect((await chat(two, "extra-model")).headers.get("x-routed-node")).toBe("extra");

    // One mock and two replicas, all gone after SIGTERM.
    const children = await childPids(cluster.child.pid!);
    expect(children).toHaveLength(3);
    expect(await cluster.stop("SIGTERM")).toBe(0);
    await eventually(() => children.filter(isAlive).length === 0, 2_000);
  });
});
