/**
 * Operating the gateway under pressure: draining a backend, a graceful SIGTERM that lets streams in
 * flight finish, and a slow client cut off instead of holding a connection forever.
 */
import { connect } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { chat, eventually, getJson, postJson } from "../helpers/http.js";

afterAll(stopAll);

const url = (process: CliProcess) => process.ready[0]!.url;
const mockStats = async (mock: CliProcess) =>
  (await getJson<{ requests: { chat: number } }>(`${url(mock)}/mock/stats`)).body.requests.chat;

describe("drain", () => {
  it("stops new traffic to a drained backend while its request in flight finishes, then resumes", async () => {
    const [a, b] = await Promise.all(
      ["a", "b"].map((id) => startCli(["mock", "--port", "0", "--id", id, "--first-token-delay-ms", "300"])),
    );
    const gateway = await startCli([
      "gateway",
      "--port",
      "0",
      "--log-level",
      "error",
      "--strategy",
      "round_robin",
      "--backend",
      `a=${url(a!)}`,
      "--backend",
      `b=${url(b!)}`,
    ]);
    const inFlight = chat(url(gateway), "mock-model"); // round robin: lands on a
    await eventually(async () => (await mockStats(a!)) === 1, 10_000, 10);
    const drained = await postJson<{ status: string }>(`${url(gateway)}/backends/a/drain`, {});
    expect(drained.body.status).toBe("draining");
    const during = await Promise.all([0, 1, 2].map(() => chat(url(gateway), "mock-model")));
    expect(during.map((response) => response.headers.get("x-routed-node"))).toEqual(["b", "b", "b"]);
    const first = await inFlight;
    expect(first.status).toBe(200);
    expect(first.headers.get("x-routed-node")).toBe("a");
    expect(await mockStats(a!)).toBe(1);
    await postJson(`${url(gateway)}/backends/a/resume`, {});
    const after = await Promise.all([0, 1].map(() => chat(url(gateway), "mock-model")));
    expect(after.map((response) => response.headers.get("x-routed-node")).sort()).toEqual(["a", "b"]);
  });
});

describe("graceful shutdown", () => {
  it("finishes a stream in flight on SIGTERM and exits 0", async () => {
    const mock = await startCli(["mock", "--port", "0", "--id", "slow", "--token-delay-ms", "60"]);
    const gateway = await startCli([
      "gateway",
      "--port",
      "0",
      "--log-level",
      "error",
      "--backend",
      `slow=${url(mock)}`,
    ]);
    const response = await fetch(`${url(gateway)}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "mock-model",
        stream: true,
        messages: [{ role: "user", content: "one two three four five six" }],
      }),
    });
    expect(response.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => gateway.child.once("exit", resolve));
    gateway.child.kill("SIGTERM");
    const text = await response.text();
    expect(text).toContain("six");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(await exited).toBe(0);
  });
});

describe("slow clients", () => {
  it("cuts off a client that never finishes sending its request", async () => {
    const gateway = await startCli(
      ["gateway", "--port", "0", "--log-level", "error", "--client-timeout", "1"],
      {
        env: { SWITCHYARD_CONFIG: "", SWITCHYARD_BACKENDS: "" },
      },
    );
    const { hostname, port } = new URL(url(gateway));
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{");
      });
      socket.on("data", () => {});
      socket.on("close", () => resolve(Date.now() - started));
      socket.on("error", () => {});
    });
    expect(closedAfter).toBeLessThan(5_000);
  });
});

describe("admin surface", () => {
  it("refuses admin routes beyond loopback without a token, and metadata addresses with one", async () => {
    const open = await startCli(["gateway", "--host", "0.0.0.0", "--port", "0", "--log-level", "error"], {
      env: { SWITCHYARD_CONFIG: "", SWITCHYARD_BACKENDS: "", SWITCHYARD_ADMIN_TOKEN: "" },
    });
    const body = { name: "x", url: "http://127.0.0.1:9", models: ["m"] };
    const refused = await postJson<{ error: { code: string } }>(`${url(open)}/backends/register`, body);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("forbidden");

    const guarded = await startCli(["gateway", "--host", "0.0.0.0", "--port", "0", "--log-level", "error"], {
      env: { SWITCHYARD_CONFIG: "", SWITCHYARD_BACKENDS: "", SWITCHYARD_ADMIN_TOKEN: "t0ken" },
    });
    const auth = { authorization: "Bearer t0ken" };
    const metadata = await postJson(
      `${url(guarded)}/backends/register`,
      { ...body, url: "http://169.254.169.254" },
      auth,
    );
    expect(metadata.status).toBe(403);
    const ok = await postJson(`${url(guarded)}/backends/register`, body, auth);
    expect(ok.status).toBe(200);
  });
});
