/**
 * Hedged non-streamed attempts (`hedge_after`): a request whose first attempt has no answer after
 * the hedge delay is sent to a second backend as well, and the first answer wins. In-process fake
 * upstreams that answer only when the test releases them (or never), so every outcome is decided by
 * the order of events, not by timings: the hedge delay is short, and nothing waits on it to pass.
 */
import type { ServerResponse } from "node:http";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import {
  chatCompletion,
  errorAnswer,
  type FakeUpstream,
  startFakeUpstream,
} from "../helpers/fake-upstream.js";
import { eventually } from "../helpers/http.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

/** An upstream that holds each request until the test answers it; counts those closed unanswered. */
interface HeldUpstream {
  upstream: FakeUpstream;
  held: ServerResponse[];
  /** Requests whose connection closed before they were answered (the gateway cancelled them). */
  cancelled: number;
}

async function startHeld(): Promise<HeldUpstream> {
  const state = { held: [] as ServerResponse[], cancelled: 0 } as HeldUpstream;
  state.upstream = await startFakeUpstream((_request, response) => {
    state.held.push(response);
    response.once("close", () => {
      if (!response.writableEnded) state.cancelled++;
    });
  });
  return state;
}

const held: Record<string, HeldUpstream> = {};
const plain: Record<string, FakeUpstream> = {};
let gateway: Gateway;
/** The gateway's access log lines (`msg: "request"`). */
const accessLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  for (const name of [
    "frozen",
    "slow",
    "first",
    "frozenHedge",
    "alone",
    "busy",
    "stuck",
    "failFirst",
    "paid",
  ])
    held[name] = await startHeld();
  plain.good = await startFakeUpstream((_request, response) => chatCompletion(response, "from good"));
  plain.fast = await startFakeUpstream((_request, response) => chatCompletion(response, "from fast"));
  plain.failing = await startFakeUpstream((_request, response) => errorAnswer(response, 500));
  plain.paidPeer = await startFakeUpstream((_request, response) =>
    chatCompletion(response, "from paid peer"),
  );
  const heldUrl = (name: string) => held[name]!.upstream.url;
  const plainUrl = (name: string) => plain[name]!.url;
  gateway = buildGateway(
    gatewayConfigSchema.parse({
      port: 0,
      log_level: "error",
      access_log: true,
      health_interval: 0,
      load_interval: 0,
      request_timeout: 30,
      hedge_after: 0.05,
      model_hedge_after: { "m-paid": 0 },
      strategy: "round_robin",
      backends: [
        // Round robin sends a model's first request to its first backend, the hedge to the next.
        { name: "frozen", url: heldUrl("frozen"), models: ["m-frozen"] },
        { name: "good", url: plainUrl("good"), models: ["m-frozen"] },
        { name: "slow", url: heldUrl("slow"), models: ["m-slow"] },
        { name: "fast", url: plainUrl("fast"), models: ["m-slow"] },
        { name: "first", url: heldUrl("first"), models: ["m-lost"] },
        { name: "frozen-hedge", url: heldUrl("frozenHedge"), models: ["m-lost"] },
        { name: "alone", url: heldUrl("alone"), models: ["m-alone"] },
        { name: "stuck", url: heldUrl("stuck"), models: ["m-full"] },
        { name: "busy", url: heldUrl("busy"), models: ["m-full", "m-busy"], max_connections: 1 },
        { name: "fail-first", url: heldUrl("failFirst"), models: ["m-failed"] },
        { name: "failing", url: plainUrl("failing"), models: ["m-failed"] },
        { name: "paid", url: heldUrl("paid"), models: ["m-paid"] },
        { name: "paid-peer", url: plainUrl("paidPeer"), models: ["m-paid"] },
      ],
    }),
    pino(
      { level: "error" },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
            const record = JSON.parse(line) as Record<string, unknown>;
            if (record.msg === "request") accessLines.push(record);
          }
          done();
        },
      }),
    ),
  );
  await gateway.app.ready();
});

/** The access log line of the answer with this `x-request-id`. */
const accessLineOf = (answer: { headers: Record<string, unknown> }) =>
  eventually(() => accessLines.some((line) => line.reqId === answer.headers["x-request-id"])).then(
    () => accessLines.find((line) => line.reqId === answer.headers["x-request-id"])!,
  );

afterAll(async () => {
  await gateway?.close();
  await Promise.all([
    ...Object.values(held).map((entry) => entry.upstream.close()),
    ...Object.values(plain).map((upstream) => upstream.close()),
  ]);
});

const ask = (model: string) =>
  gateway.app.inject({
    method: "POST",
    url: "/v1/chat/completions",
    payload: { model, messages: [{ role: "user", content: "hi" }] },
  });

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const samples = parsePrometheusText((await gateway.app.inject({ url: "/metrics" })).body);
  return sumSamples(samples, name, labels);
}

const hedges = (outcome: string) => metric("switchyard_hedges_total", { outcome });

describe("a non-streamed request hedged after hedge_after", () => {
  it("is answered by the hedge when its first backend is frozen, which is cancelled and ejected, not failed", async () => {
    const answer = await ask("m-frozen");
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["x-routed-node"]).toBe("good");
    expect(answer.json().choices[0].message.content).toBe("from good");
    expect(await hedges("won")).toBe(1);
    await eventually(() => held.frozen!.cancelled === 1);
    const frozen = gateway.context.registry.get("frozen")!;
    // Cancelled, not failed: no failure counted, the circuit closed; but it stalled while a peer answered.
    expect(frozen.failures).toBe(0);
    expect(await metric("switchyard_upstream_failures_total", { backend: "frozen" })).toBe(0);
    expect(frozen.circuit.state).toBe("closed");
    expect(frozen.outlier.ejected(performance.now())).toBe(true);
    expect(frozen.inflight).toBe(0);
    expect(gateway.context.registry.get("good")!.inflight).toBe(0);
    expect(await accessLineOf(answer)).toMatchObject({ status: 200, backend: "good", attempts: 2 });
  });

  it("sends the next requests to the peer alone while the frozen backend is ejected", async () => {
    const hits = held.frozen!.upstream.hits;
    const answers = await Promise.all([ask("m-frozen"), ask("m-frozen")]);
    expect(answers.map((answer) => answer.headers["x-routed-node"])).toEqual(["good", "good"]);
    expect(held.frozen!.upstream.hits).toBe(hits);
  });

  it("cancels a slow first backend when the hedge answers first", async () => {
    const answer = await ask("m-slow");
    expect(answer.headers["x-routed-node"]).toBe("fast");
    await eventually(() => held.slow!.cancelled === 1);
    expect(gateway.context.registry.get("slow")!.failures).toBe(0);
  });

  it("cancels the hedge when the first attempt answers first, and does not hold that against the hedge's backend", async () => {
    const answering = ask("m-lost");
    await eventually(() => held.first!.held.length === 1 && held.frozenHedge!.held.length === 1);
    chatCompletion(held.first!.held[0]!, "first after all");
    const answer = await answering;
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["x-routed-node"]).toBe("first");
    expect(answer.json().choices[0].message.content).toBe("first after all");
    expect(await hedges("lost")).toBe(1);
    // The line names the backend that answered, though the hedge started after it.
    expect(await accessLineOf(answer)).toMatchObject({ status: 200, backend: "first", attempts: 2 });
    await eventually(() => held.frozenHedge!.cancelled === 1);
    const hedgeBackend = gateway.context.registry.get("frozen-hedge")!;
    expect(hedgeBackend.failures).toBe(0);
    expect(hedgeBackend.outlier.ejected(performance.now())).toBe(false);
  });

  it("sends no hedge when no other backend serves the model", async () => {
    const answering = ask("m-alone");
    await eventually(async () => (await hedges("no_backend")) === 1);
    chatCompletion(held.alone!.held[0]!, "alone");
    const answer = await answering;
    expect(answer.statusCode).toBe(200);
    expect(held.alone!.upstream.hits).toBe(1);
  });

  it("sends no hedge to a backend at its max_connections", async () => {
    const before = await hedges("no_backend");
    // The busy backend's one slot is taken by a request only it serves (whose own hedge has nowhere to go).
    const taking = ask("m-busy");
    await eventually(async () => held.busy!.held.length === 1 && (await hedges("no_backend")) === before + 1);
    const waiting = ask("m-full");
    await eventually(() => held.stuck!.held.length === 1);
    await eventually(async () => (await hedges("no_backend")) === before + 2);
    expect(held.busy!.upstream.hits).toBe(1);
    chatCompletion(held.busy!.held[0]!, "busy");
    chatCompletion(held.stuck!.held[0]!, "stuck");
    const answers = await Promise.all([taking, waiting]);
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
    expect(answers[1]!.headers["x-routed-node"]).toBe("stuck");
  });

  it("keeps waiting for the first attempt when the hedge fails, counting the hedge's failure", async () => {
    const answering = ask("m-failed");
    await eventually(
      async () => (await metric("switchyard_upstream_failures_total", { backend: "failing" })) === 1,
    );
    chatCompletion(held.failFirst!.held[0]!, "first");
    const answer = await answering;
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["x-routed-node"]).toBe("fail-first");
    expect(await hedges("failed")).toBe(1);
    expect(plain.failing!.hits).toBe(1);
  });
});

describe("a model whose model_hedge_after is 0", () => {
  it("is never hedged, however long its answer takes", async () => {
    const answering = ask("m-paid");
    await eventually(() => held.paid!.held.length === 1);
    // Many times hedge_after (50 ms): a hedge would have gone to the peer by now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    chatCompletion(held.paid!.held[0]!, "paid");
    const answer = await answering;
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["x-routed-node"]).toBe("paid");
    expect(plain.paidPeer!.hits).toBe(0);
  });
});

describe("a non-streamed request answered within hedge_after", () => {
  it("is sent once", async () => {
    const quick = await startFakeUpstream((_request, response) => chatCompletion(response, "quick"));
    const other = await startFakeUpstream((_request, response) => chatCompletion(response, "other"));
    const own = buildGateway(
      gatewayConfigSchema.parse({
        port: 0,
        log_level: "silent",
        health_interval: 0,
        load_interval: 0,
        strategy: "round_robin",
        backends: [
          { name: "quick", url: quick.url, models: ["m"] },
          { name: "other", url: other.url, models: ["m"] },
        ],
      }),
    );
    try {
      await own.app.ready();
      const answers = await Promise.all(
        [1, 2, 3].map(() =>
          own.app.inject({
            method: "POST",
            url: "/v1/chat/completions",
            payload: { model: "m", messages: [{ role: "user", content: "hi" }] },
          }),
        ),
      );
      expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200]);
      expect(quick.hits + other.hits).toBe(3);
      const samples = parsePrometheusText((await own.app.inject({ url: "/metrics" })).body);
      expect(sumSamples(samples, "switchyard_hedges_total")).toBe(0);
    } finally {
      await own.close();
      await Promise.all([quick.close(), other.close()]);
    }
  });
});
