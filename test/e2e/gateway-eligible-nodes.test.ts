/**
 * ai-lb workflow: `GET /v1/eligible_nodes?model=` names the nodes that can take the model now, so a
 * node holding as many requests as its cap allows is left out until one finishes.
 */
import { afterAll, describe, expect, it } from "vitest";
import { startCli, stopAll } from "../helpers/cli-process.js";
import { getJson, postJson } from "../helpers/http.js";

afterAll(stopAll);

interface NodeList {
  model: string;
  data: { node: string; inflight: number; maxconn: number }[];
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("ai-lb workflow: eligible nodes", () => {
  it("leaves out a node at its concurrency cap while it holds a request", async () => {
    const [slow, fast, gateway] = await Promise.all([
      startCli(["mock", "--port", "0", "--models", "m", "--first-token-delay-ms", "60000"]),
      startCli(["mock", "--port", "0", "--models", "m"]),
      startCli(["gateway", "--port", "0", "--log-level", "error"], {
        env: { SWITCHYARD_CONFIG: "", SWITCHYARD_BACKENDS: "" },
      }),
    ]);
    const base = gateway.ready[0]!.url;
    for (const [name, mock] of [
      ["slow", slow],
      ["fast", fast],
    ] as const) {
      const registered = await postJson(`${base}/backends/register`, {
        name,
        url: mock.ready[0]!.url,
        models: ["m"],
        max_connections: 1,
      });
      expect(registered.status).toBe(200);
    }
    const eligible = async () =>
      (await getJson<NodeList>(`${base}/v1/eligible_nodes?model=m`)).body.data.map((node) => node.node);
    expect((await eligible()).sort()).toEqual(["fast", "slow"]);

    const held = new AbortController();
    const request = fetch(`${base}/v1/chat/completions?node=slow`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      signal: held.signal,
    }).catch(() => undefined);
    const nodes = await until(
      () => getJson<NodeList>(`${base}/v1/nodes`),
      (response) => response.body.data.some((node) => node.node === "slow" && node.inflight === 1),
    );
    expect(nodes.body.data.find((node) => node.node === "slow")?.maxconn).toBe(1);
    expect(await eligible()).toEqual(["fast"]);

    held.abort();
    await request;
    await until(eligible, (names) => names.includes("slow"));
  });
});
