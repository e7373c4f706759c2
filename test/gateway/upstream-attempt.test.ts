/**
 * The attempt object on its own, against in-process upstreams: whatever way an attempt ends, its
 * slot (the local count and, with shared state, the store's lease) is given back exactly once, and
 * nothing may follow its settle.
 */
import type { FastifyRequest } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { UpstreamAttempt } from "../../src/gateway/upstream-attempt.js";
import type { BackendState } from "../../src/routing/backend.js";
import { MemoryStore } from "../../src/state/memory.js";
import { LocalReplication } from "../../src/state/replication/local.js";
import { RegistrationSecrets } from "../../src/state/replication/registration-secrets.js";
import { SharedReplication } from "../../src/state/replication/shared.js";
import { ClientGone } from "../../src/upstream/client-gone.js";
import { discardBody } from "../../src/upstream/dispatch-call.js";
import {
  chatCompletion,
  errorAnswer,
  type FakeUpstream,
  startFakeUpstream,
} from "../helpers/fake-upstream.js";

const request = { id: "req-1", accessLog: null } as unknown as FastifyRequest;
const call = (budgetMs = Number.POSITIVE_INFINITY) => ({
  path: "/v1/chat/completions",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ model: "m", messages: [] }),
  budgetMs,
});

let upstream: FakeUpstream;
let gateway: Gateway;
let backend: BackendState;
/** What the fake upstream does with the next request. */
let answer: Parameters<typeof startFakeUpstream>[0];
/** Resolves when a request reaches the upstream. */
let arrived: Promise<void>;
let arrive: () => void;

beforeAll(async () => {
  upstream = await startFakeUpstream((req, res, body) => {
    arrive();
    answer(req, res, body);
  });
  gateway = buildGateway(
    gatewayConfigSchema.parse({
      port: 0,
      log_level: "silent",
      health_interval: 0,
      load_interval: 0,
      circuit_breaker_threshold: 1,
      request_timeout: 5,
      lease_ttl: 30,
      default_max_connections: 1,
      backends: [{ name: "b", url: upstream.url, models: ["m"] }],
    }),
  );
  await gateway.app.ready();
  backend = gateway.context.registry.get("b")!;
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => {
  backend.circuit.onSuccess();
});

function fresh(shared = false): { attempt: UpstreamAttempt; clientGone: ClientGone } {
  arrived = new Promise((resolve) => {
    arrive = resolve;
  });
  const ctx = gateway.context;
  if (shared && !(ctx.state instanceof MemoryStore)) throw new Error("the test expects the memory store");
  ctx.replication = shared
    ? new SharedReplication(ctx.state, {
        secrets: new RegistrationSecrets(undefined, false),
        log: ctx.logger,
      })
    : new LocalReplication();
  const clientGone = new ClientGone();
  return { attempt: new UpstreamAttempt(ctx, request, backend, "m", clientGone), clientGone };
}

async function taken(attempt: UpstreamAttempt): Promise<boolean> {
  const take = attempt.take();
  return take === true || (await take);
}

const leases = () => gateway.context.state.inflight("b");

describe.each([false, true])("UpstreamAttempt (shared state: %s)", (shared) => {
  it("holds the slot while sending and gives it back once on success", async () => {
    answer = (_req, res) => chatCompletion(res);
    const { attempt } = fresh(shared);
    expect(await taken(attempt)).toBe(true);
    expect(backend.inflight).toBe(1);
    expect(await leases()).toBe(shared ? 1 : 0);
    const sent = await attempt.send(call());
    expect(sent.kind).toBe("answered");
    if (sent.kind === "answered") await discardBody(sent.response);
    attempt.settle("success");
    attempt.settle("failure");
    expect(backend.inflight).toBe(0);
    expect(await leases()).toBe(0);
    expect(backend.circuit.state).toBe("closed");
  });

  it("settles a 5xx itself, as a failure counted once", async () => {
    answer = (_req, res) => errorAnswer(res, 500);
    const { attempt } = fresh(shared);
    const failuresBefore = backend.failures;
    expect(await taken(attempt)).toBe(true);
    const sent = await attempt.send(call());
    expect(sent).toMatchObject({ kind: "failed", failure: { kind: "status", status: 500, backend: "b" } });
    expect(attempt.settled).toBe(true);
    attempt.settle("failure");
    expect(backend.failures - failuresBefore).toBe(1);
    expect(backend.inflight).toBe(0);
    expect(await leases()).toBe(0);
    expect(backend.circuit.state).toBe("open");
  });

  it("settles a timeout as a failure", async () => {
    answer = () => {};
    const { attempt } = fresh(shared);
    expect(await taken(attempt)).toBe(true);
    const sent = await attempt.send(call(50));
    expect(sent).toMatchObject({ kind: "failed", failure: { kind: "timeout" } });
    expect(backend.inflight).toBe(0);
    expect(await leases()).toBe(0);
  });

  it("settles without a verdict when the client leaves mid-call", async () => {
    answer = () => {};
    const { attempt, clientGone } = fresh(shared);
    const failuresBefore = backend.failures;
    expect(await taken(attempt)).toBe(true);
    const sending = attempt.send(call());
    await arrived;
    clientGone.abort();
    expect(await sending).toEqual({ kind: "aborted" });
    expect(backend.failures).toBe(failuresBefore);
    expect(backend.circuit.state).toBe("closed");
    expect(backend.inflight).toBe(0);
    expect(await leases()).toBe(0);
  });

  it("settles as a failure when the call throws, and refuses to send after settling", async () => {
    const { attempt } = fresh(shared);
    const pools = gateway.context.pools;
    const original = pools.for;
    pools.for = () => {
      throw new Error("no pool");
    };
    try {
      expect(await taken(attempt)).toBe(true);
      expect(await attempt.send(call())).toMatchObject({ kind: "failed", failure: { kind: "error" } });
    } finally {
      pools.for = original;
    }
    expect(backend.inflight).toBe(0);
    expect(await leases()).toBe(0);
    await expect(attempt.send(call())).rejects.toThrow(/settled/);
    expect(() => attempt.take()).toThrow(/settled/);
  });
});

describe("UpstreamAttempt with shared state and a capped backend", () => {
  it("is refused when the store's cap is reached, holding nothing", async () => {
    const first = fresh(true).attempt;
    expect(await taken(first)).toBe(true);
    const second = fresh(true).attempt;
    expect(await taken(second)).toBe(false);
    expect(second.settled).toBe(true);
    second.settle("success");
    expect(backend.inflight).toBe(1);
    expect(await leases()).toBe(1);
    first.settle("abandoned");
    expect(backend.inflight).toBe(0);
    expect(await leases()).toBe(0);
  });
});
