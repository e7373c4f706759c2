/**
 * `switchyard serve`'s queue as a real process: one slot (`--max-concurrent 1`) and one waiting place
 * (`--max-queue 1`). The tiny model repeats `z` after a prompt ending in `z`, so a request with a large
 * max_tokens holds the slot until it is cancelled. serve refuses a max_tokens the context cannot hold,
 * so the context is made large enough for minutes of generation.
 */
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTinyServe } from "../fixtures/serve-process.js";
import { TINY_MODEL } from "../fixtures/tiny-gguf.js";
import { stopAll } from "../helpers/cli-process.js";
import { eventually, getJson } from "../helpers/http.js";
import { validateOpenAI } from "../helpers/openapi.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";

/** Tokens per sequence: the tiny model needs minutes to fill them. */
const ENDLESS_CONTEXT = 131_072;

let url: string;
let client: OpenAI;

beforeAll(async () => {
  ({ url, client } = await startTinyServe([
    "--max-concurrent",
    "1",
    "--max-queue",
    "1",
    "--context-size",
    String(ENDLESS_CONTEXT),
  ]));
});

afterAll(stopAll);

interface QueueStatus {
  active: number;
  waiting: number;
  max_concurrent: number;
  max_queue: number;
  processed: number;
  rejected: number;
  cancelled: number;
}

async function queueStatus(): Promise<QueueStatus> {
  return (await getJson<QueueStatus>(`${url}/queue/status`)).body;
}

/**
 * A streamed completion that would run for minutes; resolves once its first text arrived, with the
 * promise of the rest of the reading (wrapped: an async function would adopt a returned promise).
 */
async function startEndless(controller: AbortController): Promise<{ finished: Promise<void> }> {
  const stream = await client.completions.create(
    { model: "tiny", prompt: TINY_MODEL.loopPrompt, max_tokens: ENDLESS_CONTEXT - 16, stream: true },
    { signal: controller.signal },
  );
  const iterator = stream[Symbol.asyncIterator]();
  await iterator.next();
  // Keep reading (the client must not stall the server) until the abort ends the stream.
  const finished = (async () => {
    try {
      while (!(await iterator.next()).done) {}
    } catch {
      // The abort: expected.
    }
  })();
  return { finished };
}

const chat = (signal?: AbortSignal) =>
  client.chat.completions.create(
    { model: "tiny", messages: [{ role: "user", content: "Hello" }], max_tokens: 30 },
    { signal },
  );

describe("switchyard serve: queue", () => {
  it("runs one, queues one, refuses the next with 429 + Retry-After, and cancelling frees the slot at once", async () => {
    const running = new AbortController();
    const reading = await startEndless(running);
    expect(await queueStatus()).toMatchObject({ active: 1, waiting: 0, max_concurrent: 1, max_queue: 1 });

    const queued = chat();
    await eventually(async () => (await queueStatus()).waiting === 1);

    const refused = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "Hello" }] }),
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const body = await refused.json();
    validateOpenAI("ErrorResponse", body);
    expect(body).toMatchObject({ error: { type: "rate_limit_error", code: "queue_full" } });

    // The endless generation would take minutes; cancelling it must hand its slot over at once.
    const cancelledAt = performance.now();
    running.abort();
    const answer = await queued;
    expect(performance.now() - cancelledAt).toBeLessThan(2_000);
    expect(answer.choices[0]!.message.content).toBe(TINY_MODEL.answer);
    await reading.finished;
    await eventually(async () => (await queueStatus()).active === 0);
  });

  it("a client that leaves while waiting leaves the queue", async () => {
    const running = new AbortController();
    const reading = await startEndless(running);
    const waiting = new AbortController();
    const queued = chat(waiting.signal).catch((error: unknown) => error);
    await eventually(async () => (await queueStatus()).waiting === 1);
    waiting.abort();
    expect(await queued).toBeInstanceOf(Error);
    await eventually(async () => {
      const status = await queueStatus();
      return status.waiting === 0 && status.cancelled === 1;
    });
    running.abort();
    await reading.finished;
    await eventually(async () => (await queueStatus()).active === 0);
  });

  it("/queue/status and /metrics add up to what happened", async () => {
    // First test: endless + queued chat (2 processed), one 429. Second: endless (1 processed), one
    // cancelled while waiting.
    await eventually(async () => (await queueStatus()).processed === 3);
    expect(await queueStatus()).toEqual({
      model: "tiny",
      active: 0,
      waiting: 0,
      max_concurrent: 1,
      max_queue: 1,
      processed: 3,
      rejected: 1,
      cancelled: 1,
    });
    const samples = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
    expect(sumSamples(samples, "switchyard_serve_queue_active")).toBe(0);
    expect(sumSamples(samples, "switchyard_serve_queue_waiting")).toBe(0);
    expect(sumSamples(samples, "switchyard_serve_queue_processed_total")).toBe(3);
    expect(sumSamples(samples, "switchyard_serve_queue_rejected_total")).toBe(1);
    expect(sumSamples(samples, "switchyard_serve_requests_total", { outcome: "rejected" })).toBe(1);
    expect(sumSamples(samples, "switchyard_serve_requests_total", { outcome: "cancelled" })).toBe(3);
  });
});
