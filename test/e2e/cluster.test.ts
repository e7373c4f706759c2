/**
 * `switchyard cluster` as the local mock-cluster procedure describes it, and the gateway's embedded default: READY lines,
 * the expected reply, and no process left behind after SIGTERM.
 */
import { afterAll, describe, expect, it } from "vitest";
import { startCli, stopAll } from "../helpers/cli-process.js";
import { childPids, isAlive } from "../helpers/process-tree.js";

afterAll(stopAll);

async function hello(url: string) {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "mock-model", messages: [{ role: "user", content: "hello" }] }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { choices: { message: { content: string } }[] },
  };
}

describe("switchyard cluster", () => {
  it("prints READY per backend and for the gateway, answers, and stops every child", async () => {
    const cluster = await startCli(
      [
        "cluster",
        "--host",
        "127.0.0.1",
        "--num-backends",
        "3",
        "--backend-base-port",
        "0",
        "--lb-port",
        "0",
        "--quiet",
      ],
      { readyCount: 4 },
    );
    expect(cluster.ready.map((line) => line.role)).toEqual(["backend", "backend", "backend", "gateway"]);
    expect(cluster.ready.slice(0, 3).map((line) => line.id)).toEqual(["mock-1", "mock-2", "mock-3"]);
    const gateway = cluster.ready[3]!.url;
    const contents = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const { status, body } = await hello(gateway);
      expect(status).toBe(200);
      contents.add(body.choices[0]!.message.content);
    }
    expect(contents).toEqual(
      new Set([
        "[backend=mock-1 version=0] hello",
        "[backend=mock-2 version=0] hello",
        "[backend=mock-3 version=0] hello",
      ]),
    );
    const children = await childPids(cluster.child.pid!);
    expect(children).toHaveLength(4);
    expect(await cluster.stop("SIGTERM")).toBe(0);
    for (let i = 0; i < 50 && children.some(isAlive); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(children.filter(isAlive)).toEqual([]);
  });

  it("takes its children down even when killed with SIGKILL", async () => {
    const cluster = await startCli(
      ["cluster", "--num-backends", "1", "--backend-base-port", "0", "--lb-port", "0", "--quiet"],
      { readyCount: 2 },
    );
    const children = await childPids(cluster.child.pid!);
    expect(children).toHaveLength(2);
    await cluster.stop("SIGKILL");
    for (let i = 0; i < 50 && children.some(isAlive); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(children.filter(isAlive)).toEqual([]);
  });
});

describe("switchyard gateway --demo", () => {
  it("starts four local mocks and stops them with itself", async () => {
    const gateway = await startCli(["gateway", "--port", "0", "--log-level", "warn", "--demo"], {
      env: { SWITCHYARD_CONFIG: "", SWITCHYARD_BACKENDS: "" },
    });
    const { status, body } = await hello(gateway.ready[0]!.url);
    expect(status).toBe(200);
    expect(body.choices[0]!.message.content).toMatch(/^\[backend=mock-[1-4] version=0\] hello$/);
    const children = await childPids(gateway.child.pid!);
    expect(children).toHaveLength(4);
    expect(await gateway.stop("SIGTERM")).toBe(0);
    for (let i = 0; i < 50 && children.some(isAlive); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(children.filter(isAlive)).toEqual([]);
  });
});
