/**
 * The supervised local server under the Postgres and Redis helpers: a start that fails says why
 * (the binary, or its own output when it never answers) and leaves no process behind; a server
 * stops and starts again on the same port.
 */
import { describe, expect, it } from "vitest";
import { freePort, LocalServer, type LocalServerSpec } from "../../bench/local-server.js";
import { RedisServer, redisServerAvailable } from "../helpers/redis-server.js";

function spec(fields: Partial<LocalServerSpec>): LocalServerSpec {
  return {
    name: "test-server",
    command: "sh",
    args: [],
    answers: async () => false,
    readiness: "answer",
    pollMs: 10,
    ...fields,
  };
}

describe("a local server", () => {
  it("fails to start a binary that is not there, naming it", async () => {
    const server = new LocalServer(await freePort(), spec({ command: "/nonexistent/test-server" }));
    await expect(server.start(5_000)).rejects.toThrow(/test-server on \d+ did not answer:\n.*ENOENT/);
    expect(server.running).toBe(false);
  });

  it("kills a server that never answers and quotes what it printed", async () => {
    const server = new LocalServer(
      await freePort(),
      spec({ args: ["-c", "echo warming the cache; exec sleep 30"] }),
    );
    await expect(server.start(300)).rejects.toThrow(/did not answer:\nwarming the cache/);
    expect(server.running).toBe(false);
    expect(server.pid).toBeUndefined();
  });

  it.runIf(redisServerAvailable())("stops, and starts again on the same port", async () => {
    const redis = new RedisServer(await freePort());
    await redis.start();
    try {
      const port = redis.port;
      await redis.kill();
      expect(redis.running).toBe(false);
      await redis.start();
      expect(redis.port).toBe(port);
      expect(redis.running).toBe(true);
      redis.freeze();
      redis.thaw();
    } finally {
      await redis.stop();
    }
  });
});
