/**
 * The per-origin connection pool is a setting, and requests waiting for one of its connections are
 * visible: with `upstream_connections` 2 and five slow streams, three wait in the pool, `/status`
 * and `/metrics` show them queued, and all five get their answer once connections free up.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { eventually, getJson } from "../helpers/http.js";

afterAll(stopAll);

const url = (process: CliProcess) => process.ready[0]!.url;

interface Status {
  backends: { name: string; upstream: { queued: number; running: number; connected: number } }[];
}

function slowStream(gateway: string): Promise<string> {
  return fetch(`${gateway}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "mock-model",
      stream: true,
      messages: [{ role: "user", content: "one two three four five six" }],
    }),
  }).then((response) => response.text());
}

describe("upstream connection pool", () => {
  it("queues streams beyond upstream_connections visibly, and every one gets its answer", async () => {
    const mock = await startCli(["mock", "--port", "0", "--id", "slow", "--token-delay-ms", "100"]);
    const gateway = await startCli([
      "gateway",
      "--port",
      "0",
      "--log-level",
      "error",
      // Probes would share the pool: none, so the queue holds only the five streams.
      "--health-interval",
      "0",
      "--load-interval",
      "0",
      "--upstream-connections",
      "2",
      "--backend",
      `slow=${url(mock)}`,
    ]);
    const base = url(gateway);
    const streams = [0, 1, 2, 3, 4].map(() => slowStream(base));
    let seen: Status["backends"][number]["upstream"] | undefined;
    await eventually(
      async () => {
        seen = (await getJson<Status>(`${base}/status`)).body.backends[0]!.upstream;
        return seen.queued > 0;
      },
      10_000,
      10,
    );
    expect(seen!.connected).toBeLessThanOrEqual(2);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_backend_upstream_queued\{backend="slow"\} [1-9]/);
    const answers = await Promise.all(streams);
    for (const text of answers) {
      expect(text).toContain("six");
      expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    }
    const after = (await getJson<Status>(`${base}/status`)).body.backends[0]!.upstream;
    expect(after.queued).toBe(0);
  });
});
