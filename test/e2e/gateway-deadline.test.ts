/**
 * `request_timeout` is one deadline for the whole request, retries included: real gateway processes
 * in front of real mock processes that accept requests and never answer. The elapsed-time bounds are
 * correctness bounds with a wide margin (a 504 after 1 s must not take three attempts of 1 s each),
 * not speed assertions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { getJson } from "../helpers/http.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

afterAll(stopAll);

const TIMEOUT_S = 1;

const startMock = (id: string, ...args: string[]) => startCli(["mock", "--port", "0", "--id", id, ...args]);
const backendFlag = (mock: CliProcess) => ["--backend", `${mock.ready[0]!.id}=${mock.ready[0]!.url}`];
const url = (process: CliProcess) => process.ready[0]!.url;

function startGateway(mocks: CliProcess[], ...args: string[]) {
  return startCli([
    "gateway",
    "--port",
    "0",
    "--log-level",
    "error",
    "--max-retries",
    "2",
    // Every hang counts as a failure; an open circuit would change which backends later tests reach.
    "--circuit-breaker-threshold",
    "0",
    "--health-interval",
    "0",
    ...mocks.flatMap(backendFlag),
    ...args,
  ]);
}

type Route = "/v1/chat/completions" | "/v1/messages";

function requestBody(route: Route, stream: boolean) {
  const messages = [{ role: "user", content: "hello" }];
  return route === "/v1/messages"
    ? { model: "mock-model", max_tokens: 16, messages, stream }
    : { model: "mock-model", messages, stream };
}

/** Sends one request expected to fail before its answer starts (a JSON error, streaming or not), timed from the client's side. */
async function timedRequest(gateway: CliProcess, route: Route, stream: boolean) {
  const started = performance.now();
  const answer = await getJson<Record<string, unknown>>(`${url(gateway)}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(requestBody(route, stream)),
  });
  return { ...answer, elapsedMs: performance.now() - started };
}

/** Sends one request that should succeed and returns its status, routed node and elapsed time. */
async function timedSuccess(gateway: CliProcess, route: Route, stream: boolean) {
  const started = performance.now();
  const response = await fetch(`${url(gateway)}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(requestBody(route, stream)),
  });
  const text = await response.text();
  return {
    status: response.status,
    node: response.headers.get("x-routed-node"),
    text,
    elapsedMs: performance.now() - started,
  };
}

function expectTimeoutShape(route: Route, body: Record<string, unknown>) {
  if (route === "/v1/messages") {
    expect(body).toMatchObject({ type: "error", error: { type: "api_error" } });
  } else {
    expect(body).toMatchObject({ error: { type: "timeout_error", code: "upstream_timeout" } });
  }
}

const cases = (["/v1/chat/completions", "/v1/messages"] as const).flatMap((route) =>
  [false, true].map((stream) => ({ route, stream })),
);

let hung: CliProcess[];

beforeAll(async () => {
  hung = await Promise.all(["h1", "h2", "h3"].map((id) => startMock(id, "--hang-rate", "1")));
});

describe("three backends that hang, max_retries 2", () => {
  let gateway: CliProcess;
  beforeAll(async () => {
    gateway = await startGateway(hung, "--request-timeout", String(TIMEOUT_S));
  });

  it.each(cases)(
    "answers $route (stream: $stream) 504 at the deadline, not after three attempts",
    async ({ route, stream }) => {
      const answer = await timedRequest(gateway, route, stream);
      expect(answer.status).toBe(504);
      expectTimeoutShape(route, answer.body);
      expect(answer.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_S * 1000 - 50);
      expect(answer.elapsedMs).toBeLessThan(2 * TIMEOUT_S * 1000);
    },
  );
});

describe("attempt_timeout below request_timeout", () => {
  let gateway: CliProcess;
  beforeAll(async () => {
    gateway = await startGateway(hung, "--request-timeout", String(TIMEOUT_S), "--attempt-timeout", "0.4");
  });

  it("retries hung backends within the deadline, then answers 504 naming each attempt", async () => {
    const answer = await timedRequest(gateway, "/v1/chat/completions", false);
    expect(answer.status).toBe(504);
    expectTimeoutShape("/v1/chat/completions", answer.body);
    const message = (answer.body as { error: { message: string } }).error.message;
    expect(message).toContain("request_timeout of 1 s");
    // 0.4 s + 0.4 s, then a third attempt only if at least 0.1 s is left.
    expect(message.match(/no response within/g)?.length).toBeGreaterThanOrEqual(2);
    expect(answer.elapsedMs).toBeLessThan(2 * TIMEOUT_S * 1000);
  });
});

describe("the first backend hangs, the second answers at once", () => {
  let gateway: CliProcess;
  beforeAll(async () => {
    const steady = await startMock("steady");
    gateway = await startGateway([hung[0]!, steady], "--request-timeout", "2", "--attempt-timeout", "0.3");
  });

  it.each(cases)(
    "serves $route (stream: $stream) from the second within the deadline",
    async ({ route, stream }) => {
      // Round robin sends one of two requests to the hung backend first: both must succeed in time.
      for (let i = 0; i < 2; i++) {
        const answer = await timedSuccess(gateway, route, stream);
        expect(answer.status, answer.text).toBe(200);
        expect(answer.node).toBe("steady");
        expect(answer.elapsedMs).toBeLessThan(2_000);
      }
    },
  );

  it("counted the hung backend's timeouts as failures and retried elsewhere", async () => {
    const metrics = parsePrometheusText(await (await fetch(`${url(gateway)}/metrics`)).text());
    expect(sumSamples(metrics, "switchyard_upstream_failures_total", { reason: "timeout" })).toBeGreaterThan(
      0,
    );
    expect(sumSamples(metrics, "switchyard_retries_total")).toBeGreaterThan(0);
  });
});
