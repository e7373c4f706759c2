/**
 * Failover, circuit breaking, capacity caps and the operator surface, end to end: real gateway
 * processes in front of real mock processes whose faults are changed at run time.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { chat, eventually, getJson, postJson } from "../helpers/http.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";
import { writeTempConfig } from "../helpers/temp-config.js";

afterAll(stopAll);

const startMock = (id: string, ...args: string[]) => startCli(["mock", "--port", "0", "--id", id, ...args]);
const backendFlag = (mock: CliProcess) => ["--backend", `${mock.ready[0]!.id}=${mock.ready[0]!.url}`];
const url = (process: CliProcess) => process.ready[0]!.url;

async function startGateway(args: string[], env: Record<string, string> = {}) {
  return startCli(["gateway", "--port", "0", "--log-level", "error", ...args], { env });
}

interface MockStats {
  requests: { total: number; chat: number };
  max_inflight_seen: number;
}
const mockStats = async (mock: CliProcess) => (await getJson<MockStats>(`${url(mock)}/mock/stats`)).body;
const setFaults = (mock: CliProcess, faults: object) => postJson(`${url(mock)}/mock/faults`, faults);

interface StatusBody {
  total_inflight: number;
  backends: { name: string; healthy: boolean; circuit: string; inflight: number }[];
}
const status = async (gateway: CliProcess) => (await getJson<StatusBody>(`${url(gateway)}/status`)).body;

describe("failover", () => {
  it("serves every request while a backend is killed mid-run", async () => {
    const mocks = await Promise.all(["a", "b", "c"].map((id) => startMock(id, "--token-delay-ms", "1")));
    const gateway = await startGateway([...mocks.flatMap(backendFlag), "--health-interval", "1"]);
    const statuses: number[] = [];
    let sent = 0;
    const worker = async () => {
      while (sent < 90) {
        sent++;
        if (sent === 30) await mocks[1]!.stop("SIGKILL");
        statuses.push((await chat(url(gateway), "mock-model")).status);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect(statuses.filter((code) => code !== 200)).toEqual([]);
    const after = await status(gateway);
    expect(after.total_inflight).toBe(0);
    expect(after.backends.find((backend) => backend.name === "b")!.healthy).toBe(false);
  });

  it("serves every request while a backend hangs, retrying after SWITCHYARD_ATTEMPT_TIMEOUT", async () => {
    const good = await startMock("steady");
    const hung = await startMock("hung", "--hang-rate", "1");
    const gateway = await startGateway([...backendFlag(hung), ...backendFlag(good)], {
      REQUEST_TIMEOUT_SECS: "30",
      SWITCHYARD_ATTEMPT_TIMEOUT: "0.3",
      CIRCUIT_BREAKER_THRESHOLD: "0",
    });
    const responses = await Promise.all(Array.from({ length: 6 }, () => chat(url(gateway), "mock-model")));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(responses.map((response) => response.headers.get("x-routed-node")))).toEqual(
      new Set(["steady"]),
    );
    expect((await status(gateway)).total_inflight).toBe(0);
  });

  it("answers 502 naming every attempt after MAX_RETRIES, and counts it in /metrics", async () => {
    const mocks = await Promise.all(["x", "y", "z"].map((id) => startMock(id, "--fail-rate", "1")));
    const gateway = await startGateway(mocks.flatMap(backendFlag), {
      MAX_RETRIES: "1",
      CIRCUIT_BREAKER_THRESHOLD: "0",
    });
    const response = await chat(url(gateway), "mock-model");
    expect(response.status).toBe(502);
    expect(response.body.error!.message).toMatch(/All 2 attempt\(s\)/);
    const served = (await Promise.all(mocks.map(mockStats))).reduce(
      (sum, stats) => sum + stats.requests.chat,
      0,
    );
    expect(served).toBe(2);
    const metrics = parsePrometheusText(await (await fetch(`${url(gateway)}/metrics`)).text());
    expect(sumSamples(metrics, "switchyard_upstream_failures_total", { reason: "status_5xx" })).toBe(2);
    expect(sumSamples(metrics, "switchyard_retries_total")).toBe(1);
  });
});

describe("circuit breaker", () => {
  it("opens after CIRCUIT_BREAKER_THRESHOLD failures, then one probe closes it", async () => {
    const good = await startMock("good");
    const flaky = await startMock("flaky", "--fail-rate", "1");
    const gateway = await startGateway([...backendFlag(good), ...backendFlag(flaky)], {
      CIRCUIT_BREAKER_THRESHOLD: "3",
      CIRCUIT_BREAKER_TTL_SECS: "1",
      MAX_RETRIES: "1",
    });
    for (let i = 0; i < 12; i++) expect((await chat(url(gateway), "mock-model")).status).toBe(200);
    expect((await mockStats(flaky)).requests.chat).toBe(3);
    expect((await status(gateway)).backends.find((b) => b.name === "flaky")!.circuit).toBe("open");

    await setFaults(flaky, { failRate: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    for (let i = 0; i < 4; i++) expect((await chat(url(gateway), "mock-model")).status).toBe(200);
    expect((await status(gateway)).backends.find((b) => b.name === "flaky")!.circuit).toBe("closed");
    expect((await mockStats(flaky)).requests.chat).toBeGreaterThan(3);
  });
});

describe("capacity caps", () => {
  it("never exceeds the cap, queues what fits and answers 429 with Retry-After beyond", async () => {
    const slow = await startMock("slow", "--first-token-delay-ms", "300");
    const gateway = await startGateway(backendFlag(slow), {
      DEFAULT_MAXCONN: "2",
      SWITCHYARD_QUEUE_SIZE: "2",
      SWITCHYARD_QUEUE_TIMEOUT: "10",
    });
    const responses = await Promise.all(Array.from({ length: 6 }, () => chat(url(gateway), "mock-model")));
    const codes = responses.map((response) => response.status).sort();
    expect(codes).toEqual([200, 200, 200, 200, 429, 429]);
    const rejected = responses.find((response) => response.status === 429)!;
    expect(rejected.headers.get("retry-after")).toBe("1");
    expect(rejected.body.error!.code).toBe("capacity_exceeded");
    expect((await mockStats(slow)).max_inflight_seen).toBe(2);
    expect((await status(gateway)).total_inflight).toBe(0);
  });

  it("applies MAXCONN_MAP per backend and gives up after the queue timeout", async () => {
    const slow = await startMock("slow2", "--first-token-delay-ms", "400");
    const gateway = await startGateway(backendFlag(slow), {
      MAXCONN_MAP: "slow2=1",
      SWITCHYARD_QUEUE_TIMEOUT: "0.1",
    });
    const responses = await Promise.all([chat(url(gateway), "mock-model"), chat(url(gateway), "mock-model")]);
    expect(responses.map((response) => response.status).sort()).toEqual([200, 429]);
    expect((await mockStats(slow)).max_inflight_seen).toBe(1);
  });
});

describe("model selection", () => {
  it("resolves sentinels with PREFERRED_MODELS, aliases, and forwards the real name", async () => {
    const mock = await startMock("multi", "--models", "small,large");
    const config = writeTempConfig({ aliases: { "gpt-4o": "large" } });
    try {
      const gateway = await startGateway([...backendFlag(mock), "--config", config.path], {
        PREFERRED_MODELS: "missing;large",
        LM_MODEL: "pick-for-me",
      });
      for (const sentinel of ["auto", "default", "pick-for-me", "gpt-4o"]) {
        const response = await chat(url(gateway), sentinel);
        expect(response.status).toBe(200);
        expect(response.headers.get("x-selected-model")).toBe("large");
        expect(response.body.model).toBe("large");
      }
      const eligible = await getJson<{ model: string; data: { node: string }[] }>(
        `${url(gateway)}/v1/eligible_nodes?model=auto`,
      );
      expect(eligible.body).toMatchObject({ model: "large", data: [{ node: "multi" }] });
    } finally {
      config.remove();
    }
  });

  it("takes its sentinels from MODEL_SENTINELS", async () => {
    const mock = await startMock("sentinels", "--models", "only-model");
    const gateway = await startGateway(backendFlag(mock), { MODEL_SENTINELS: "pick;choose", LM_MODEL: "" });
    expect((await chat(url(gateway), "choose")).headers.get("x-selected-model")).toBe("only-model");
    expect((await chat(url(gateway), "pick")).status).toBe(200);
    expect((await chat(url(gateway), "default")).status).toBe(404);
  });

  it("forces a node with ?node= and explains the route on request", async () => {
    const mocks = await Promise.all(["n1", "n2"].map((id) => startMock(id)));
    const gateway = await startGateway(mocks.flatMap(backendFlag));
    for (let i = 0; i < 3; i++) {
      const response = await chat(`${url(gateway)}`, "mock-model", "hi", { "x-switchyard-debug": "1" });
      expect(response.headers.get("x-switchyard-route")).toMatch(
        /strategy=least_connections; picked=n[12]; candidates=/,
      );
      expect(response.body._routing).toEqual({
        backend: response.headers.get("x-routed-node"),
        model_type: "generic",
      });
    }
    const host = new URL(url(mocks[1]!)).host;
    for (let i = 0; i < 3; i++) {
      const response = await postJson<{ choices: { message: { content: string } }[] }>(
        `${url(gateway)}/v1/chat/completions?node=${host}`,
        { model: "mock-model", messages: [{ role: "user", content: "hi" }] },
      );
      expect(response.headers.get("x-routed-node")).toBe("n2");
    }
    const missing = await postJson(`${url(gateway)}/v1/chat/completions?node=nowhere:1`, {
      model: "mock-model",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(missing.status).toBe(404);
  });
});

describe("operators", () => {
  it("registers and unregisters backends at run time, behind the admin token", async () => {
    const first = await startMock("first");
    const late = await startMock("late", "--models", "late-model");
    const gateway = await startGateway(backendFlag(first), { SWITCHYARD_ADMIN_TOKEN: "s3cret" });
    const auth = { authorization: "Bearer s3cret" };
    const body = { name: "late", url: url(late), model_type: "qwen3", models: ["late-model"], weight: 2 };

    expect((await postJson(`${url(gateway)}/backends/register`, body)).status).toBe(401);
    expect(
      (await postJson(`${url(gateway)}/backends/register`, body, { authorization: "Bearer nope" })).status,
    ).toBe(401);
    expect((await chat(url(gateway), "late-model")).status).toBe(404);

    const registered = await postJson<{ status: string; backend: { name: string; healthy: boolean } }>(
      `${url(gateway)}/backends/register`,
      body,
      auth,
    );
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({ status: "registered", backend: { name: "late", healthy: true } });
    const routed = await chat(url(gateway), "late-model");
    expect(routed.body.choices[0]!.message.content).toBe("[backend=late version=0] hello");
    expect(routed.body._routing).toEqual({ backend: "late", model_type: "qwen3" });

    const nodes = await getJson<{ data: { node: string }[] }>(`${url(gateway)}/v1/nodes`);
    expect(nodes.body.data.map((node) => node.node).sort()).toEqual(["first", "late"]);
    const invalid = await postJson<{ error: { param: string } }>(
      `${url(gateway)}/backends/register`,
      { url: "not a url" },
      auth,
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.param).toBe("url");

    const removed = await fetch(`${url(gateway)}/backends/late`, { method: "DELETE", headers: auth });
    expect(removed.status).toBe(200);
    expect((await chat(url(gateway), "late-model")).status).toBe(404);
    expect((await postJson(`${url(gateway)}/backends/unregister`, { name: "late" }, auth)).status).toBe(404);
  });

  it("reports per-model health the two-model router's way", async () => {
    const mock = await startMock("slashy", "--models", "Qwen/Qwen2.5-7B-Instruct");
    const gateway = await startGateway([...backendFlag(mock), "--health-interval", "0.2"]);
    const one = await getJson<{ model: string; status: string }>(
      `${url(gateway)}/health/Qwen%2FQwen2.5-7B-Instruct`,
    );
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ model: "Qwen/Qwen2.5-7B-Instruct", status: "healthy" });
    const all = await getJson<{ models: Record<string, { status: string }> }>(`${url(gateway)}/health/all`);
    expect(all.body.models["Qwen/Qwen2.5-7B-Instruct"]!.status).toBe("healthy");
    expect((await getJson(`${url(gateway)}/health/unknown%2Fmodel`)).status).toBe(404);
    await mock.stop();
    await eventually(
      async () => (await getJson(`${url(gateway)}/health/Qwen%2FQwen2.5-7B-Instruct`)).status === 503,
      8_000,
    );
  });
});

describe("discovery", () => {
  it("registers servers found by SCAN_HOSTS × SCAN_PORTS", async () => {
    const mock = await startMock("scanned", "--models", "found-model");
    const port = new URL(url(mock)).port;
    const gateway = await startGateway([], {
      SCAN_HOSTS: "127.0.0.1",
      SCAN_PORTS: `${port}`,
      SCAN_INTERVAL: "0",
    });
    const response = await chat(url(gateway), "found-model");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-routed-node")).toBe(`127.0.0.1:${port}`);
  });
});
