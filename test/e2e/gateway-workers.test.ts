/**
 * `switchyard gateway --workers 2`: a node:cluster primary with two gateway workers on one port.
 * One READY line with the real port, every request answered, two worker children, and SIGTERM
 * drains them and exits 0 with no child left.
 */
import { afterAll, describe, expect, it } from "vitest";
import { startCli, stopAll } from "../helpers/cli-process.js";
import { chat, eventually, getJson } from "../helpers/http.js";
import { childPids, isAlive } from "../helpers/process-tree.js";

afterAll(stopAll);

describe("switchyard gateway --workers", () => {
  it("runs 2 workers behind one port, answers every request, and stops cleanly on SIGTERM", async () => {
    const mock = await startCli(["mock", "--port", "0", "--id", "a"]);
    const gateway = await startCli(
      [
        "gateway",
        "--workers",
        "2",
        "--port",
        "0",
        "--log-level",
        "warn",
        "--backend",
        `a=${mock.ready[0]!.url}`,
      ],
      { timeoutMs: 20_000 },
    );
    // Give a second READY line (there must be none) a moment to show up.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(gateway.ready).toHaveLength(1);
    const url = gateway.ready[0]!.url;
    expect(new URL(url).port).not.toBe("0");

    const responses = await Promise.all(Array.from({ length: 20 }, () => chat(url, "mock-model")));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    const health = await getJson<{ status: string }>(`${url}/health`);
    expect(health.status).toBe(200);

    const workers = await childPids(gateway.child.pid!);
    expect(workers).toHaveLength(2);
    expect(await gateway.stop("SIGTERM")).toBe(0);
    await eventually(() => workers.filter(isAlive).length === 0, 2_000);
  });

  it("rejects a --workers value that is not a whole number or auto", async () => {
    await expect(
      startCli(["gateway", "--workers", "0", "--port", "0"], { timeoutMs: 5_000 }),
    ).rejects.toThrow(/expected a whole number/);
  });
});
