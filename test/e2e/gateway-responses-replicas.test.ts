/**
 * A Responses API conversation over two gateway replicas sharing a real `redis-server`: a response
 * kept by one is continued, read, listed and deleted through the other, as a client behind a load
 * balancer would see it.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, stopAll } from "../helpers/cli-process.js";
import { getJson } from "../helpers/http.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { randomNamespace, startReplica } from "../helpers/replicas.js";
import { writeTempConfig } from "../helpers/temp-config.js";

const available = redisServerAvailable();
let redis: RedisServer;
let config: ReturnType<typeof writeTempConfig>;
let first: { url: string; client: OpenAI };
let second: { url: string; client: OpenAI };

afterAll(async () => {
  await stopAll();
  await redis?.stop();
  config?.remove();
});

describe.runIf(available)("a Responses conversation across replicas sharing Redis", () => {
  beforeAll(async () => {
    redis = await startRedisServer();
    const mock = await startCli(["mock", "--port", "0", "--id", "m", "--models", "chat-model"]);
    config = writeTempConfig({ backends: [{ name: "m", url: mock.ready[0]!.url, models: ["chat-model"] }] });
    const namespace = randomNamespace();
    const replicas = await Promise.all(
      [1, 2].map(() => startReplica(redis.url, namespace, ["--config", config.path])),
    );
    [first, second] = replicas.map((replica) => {
      const url = replica.ready[0]!.url;
      return { url, client: new OpenAI({ baseURL: `${url}/v1`, apiKey: "sk-client", maxRetries: 0 }) };
    }) as [typeof first, typeof second];
  });

  it("continues on one replica what the other kept, and deletes it for both", async () => {
    const opening = await first.client.responses.create({ model: "chat-model", input: "opening" });
    const follow = await second.client.responses.create({
      model: "chat-model",
      input: "follow-up",
      previous_response_id: opening.id,
    });
    expect(follow.previous_response_id).toBe(opening.id);
    expect(follow.output_text).toBe("[backend=m version=0] follow-up");

    const items = await getJson<{ data: Array<{ role?: string }> }>(
      `${first.url}/v1/responses/${follow.id}/input_items?order=asc`,
    );
    expect(items.body.data.map((item) => item.role)).toEqual(["user", "assistant", "user"]);

    await first.client.responses.delete(follow.id);
    expect((await getJson(`${second.url}/v1/responses/${follow.id}`)).status).toBe(404);
    // The opening turn is its own snapshot: deleting a later turn leaves it.
    expect((await getJson(`${second.url}/v1/responses/${opening.id}`)).status).toBe(200);
  });

  it("streams a turn on one replica that the other continues at once", async () => {
    const stream = first.client.responses.stream({ model: "chat-model", input: "streamed" });
    const streamed = await stream.finalResponse();
    const next = await second.client.responses.create({
      model: "chat-model",
      input: "after the stream",
      previous_response_id: streamed.id,
    });
    expect(next.output_text).toBe("[backend=m version=0] after the stream");
  });
});
