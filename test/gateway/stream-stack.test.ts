/**
 * The converter stack and its layers (stream resume, reasoning separation), alone and through the
 * pump. The stacked cases compare a stream broken and resumed on a second backend with the same
 * chunks arriving unbroken from one backend: the client must not be able to tell them apart.
 */
import { once } from "node:events";
import { PassThrough, Writable } from "node:stream";
import type { Dispatcher } from "undici";
import { describe, expect, it, vi } from "vitest";
import { ReasoningLayer } from "../../src/gateway/reasoning-transform.js";
import { pumpEvents } from "../../src/gateway/stream-pump.js";
import {
  type Continuation,
  MAX_PREFILL_CHARS,
  MAX_RESUMES,
  StreamResume,
} from "../../src/gateway/stream-resume.js";
import { type StreamLayer, stack } from "../../src/gateway/stream-stack.js";
import { createAnthropicToOpenAI } from "../../src/protocol/translate/anthropic-to-openai.js";
import { createPassthrough } from "../../src/protocol/translate/passthrough.js";
import type { SseMessage, StreamConverter } from "../../src/protocol/translate/translator.js";
import { accumulate, convert, fixedOptions, parseSse } from "../protocol/translate/helpers.js";

const openai = () => createPassthrough("openai", "/v1/chat/completions").stream();

/** An OpenAI chat chunk as SSE data. */
function chunk(id: string, delta: Record<string, unknown>, finish: string | null = null): string {
  return JSON.stringify({
    id,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
}

const sse = (data: readonly string[]) => data.map((item) => `data: ${item}\n\n`).join("");

function continuation(body: PassThrough, release = vi.fn()): Continuation {
  return { response: { body } as unknown as Dispatcher.ResponseData, backendId: "second", release };
}

/** Pumps `first`, which breaks after its chunks; a resume continues from `second`. */
async function brokenThenResumed(
  first: readonly string[],
  second: readonly string[],
  above: StreamLayer[],
  top: StreamConverter,
) {
  const written: string[] = [];
  const raw = new Writable({
    write(data: Buffer, _encoding, done) {
      written.push(data.toString("utf8"));
      done();
    },
  });
  const prefills: string[] = [];
  const release = vi.fn();
  const onBroken = vi.fn();
  const next = new PassThrough();
  const resume = new StreamResume(async (prefill) => {
    prefills.push(prefill);
    next.end(sse(second));
    return continuation(next, release);
  }, onBroken);
  const body = new PassThrough();
  const pumped = pumpEvents({ raw, body, converter: stack([resume, ...above], top), recovery: resume });
  // Heard from the start: the response may end, and finish, in the turn the upstream ends in.
  const finished = once(raw, "finish");
  body.write(sse(first));
  body.destroy(new Error("connection reset"));
  const outcome = await pumped;
  await finished;
  return { outcome, text: written.join(""), prefills, release, onBroken };
}

describe("stack", () => {
  it("passes each layer's events up, flushes layers on end and before an error", () => {
    const holding: StreamLayer = {
      event: (message) => [message, { data: `${message.data}!` }],
      end: () => [{ data: "held" }],
      fail: () => [{ data: "held" }],
    };
    const converter = stack([holding], openai());
    expect(converter.event({ data: "a" })).toEqual(["data: a\n\n", "data: a!\n\n"]);
    expect(converter.end()).toEqual(["data: held\n\n"]);
    const failing = stack([holding], openai());
    const frames = failing.fail(502, "gone");
    expect(frames[0]).toBe("data: held\n\n");
    expect(frames[1]).toContain('"message":"gone"');
  });
});

describe("StreamResume", () => {
  const resumeWith = (next?: Continuation) => {
    const onBroken = vi.fn();
    const continueStream = vi.fn(async () => next);
    return { resume: new StreamResume(continueStream, onBroken), continueStream, onBroken };
  };

  it("passes the first backend's chunks as they are and remembers their text", () => {
    const { resume } = resumeWith();
    const message: SseMessage = { data: chunk("c1", { role: "assistant", content: "Hel" }) };
    expect(resume.event(message)).toEqual([message]);
    expect(resume.text).toBe("Hel");
    expect(resume.resumable).toBe(true);
  });

  it("drops a continuation's role chunk and gives its chunks the first id", async () => {
    const release = vi.fn();
    const { resume, continueStream, onBroken } = resumeWith(continuation(new PassThrough(), release));
    resume.event({ data: chunk("c1", { role: "assistant", content: "Hel" }) });
    const error = new Error("reset");
    expect(await resume.recover(error)).toBeDefined();
    expect(onBroken).toHaveBeenCalledWith(error);
    expect(continueStream).toHaveBeenCalledWith("Hel");
    expect(resume.event({ data: chunk("c2", { role: "assistant", content: "" }) })).toEqual([]);
    const [out] = resume.event({ data: chunk("c2", { content: "lo" }) });
    expect(JSON.parse(out!.data)).toMatchObject({ id: "c1", choices: [{ delta: { content: "lo" } }] });
    expect(resume.text).toBe("Hello");
    resume.close("complete");
    expect(release).toHaveBeenCalledWith("success");
  });

  it("lets the text go and stops resuming once a stream outgrows MAX_PREFILL_CHARS", async () => {
    const { resume, continueStream } = resumeWith(continuation(new PassThrough()));
    const piece = "x".repeat(1024 * 1024);
    for (let sent = 0; sent <= MAX_PREFILL_CHARS; sent += piece.length)
      resume.event({ data: chunk("c1", { content: piece }) });
    expect(resume.text).toBe("");
    expect(resume.resumable).toBe(false);
    expect(await resume.recover(new Error("reset"))).toBeUndefined();
    expect(continueStream).not.toHaveBeenCalled();
  });

  it.each([
    ["a tool call", chunk("c1", { tool_calls: [{ index: 0, function: { name: "f" } }] })],
    ["a finish", chunk("c1", {}, "stop")],
    ["[DONE]", "[DONE]"],
  ])("does not resume after %s", async (_what, data) => {
    const { resume, continueStream } = resumeWith(continuation(new PassThrough()));
    resume.event({ data });
    expect(resume.resumable).toBe(false);
    expect(await resume.recover(new Error("reset"))).toBeUndefined();
    expect(continueStream).not.toHaveBeenCalled();
  });

  it(`resumes at most ${MAX_RESUMES} times, blaming each continuation that breaks`, async () => {
    const release = vi.fn();
    const { resume, continueStream, onBroken } = resumeWith(continuation(new PassThrough(), release));
    for (let i = 0; i < MAX_RESUMES; i++) expect(await resume.recover(new Error("reset"))).toBeDefined();
    expect(await resume.recover(new Error("reset"))).toBeUndefined();
    expect(continueStream).toHaveBeenCalledTimes(MAX_RESUMES);
    expect(onBroken).toHaveBeenCalledOnce();
    expect(release.mock.calls).toEqual(Array.from({ length: MAX_RESUMES }, () => ["failure"]));
  });
});

describe("ReasoningLayer", () => {
  it("flushes held-back text before [DONE] and closes a stream the backend left open", () => {
    const layer = new ReasoningLayer({ modelType: "qwen3" });
    const events = [
      ...layer.event({ data: chunk("c1", { role: "assistant", content: "<think>plan</think>Ans" }) }),
      ...layer.end(),
    ];
    expect(events.at(-1)).toEqual({ data: "[DONE]" });
    const deltas = events.slice(0, -1).map((event) => JSON.parse(event.data).choices?.[0]?.delta ?? {});
    expect(deltas.map((delta) => delta.reasoning_content ?? "").join("")).toBe("plan");
    expect(deltas.map((delta) => delta.content ?? "").join("")).toBe("Ans");
    expect(layer.event({ data: "[DONE]" })).toEqual([]);
  });

  it("hands on an event with nothing to separate as the backend wrote it, and parsed", () => {
    const layer = new ReasoningLayer({ modelType: "qwen3" });
    const text = chunk("c1", { content: "Paris" }).replace("{", "{ ");
    const [event, ...rest] = layer.event({ data: text });
    expect(rest).toEqual([]);
    expect(event!.data).toBe(text);
    expect(event!.json).toEqual(JSON.parse(text));
  });

  it("writes a separated chunk's text only when asked, from the object it hands on", () => {
    const layer = new ReasoningLayer({ modelType: "qwen3" });
    const [event] = layer.event({ data: chunk("c1", { content: "<think>plan</think>" }) });
    expect(JSON.parse(event!.data)).toEqual(event!.json);
    expect((event!.json as { choices: Array<{ delta: unknown }> }).choices[0]!.delta).toEqual({
      reasoning_content: "plan",
    });
  });
});

describe("stacks through the pump", () => {
  it("resumes an OpenAI backend's stream under translation: one well-formed Anthropic stream", async () => {
    const request = { model: "m", max_tokens: 64, messages: [{ role: "user", content: "hi" }], stream: true };
    const translator = () => {
      const created = createAnthropicToOpenAI(fixedOptions());
      created.request(request);
      return created;
    };
    const first = [chunk("c1", { role: "assistant", content: "" }), chunk("c1", { content: "Hel" })];
    const rest = [chunk("c1", { content: "lo" }), chunk("c1", {}, "stop"), "[DONE]"];
    const second = [
      chunk("c2", { role: "assistant", content: "" }),
      ...rest.map((data) => data.replace('"c1"', '"c2"')),
    ];
    const resumed = await brokenThenResumed(first, second, [], translator().stream());
    expect(resumed.outcome).toBe("complete");
    expect(resumed.prefills).toEqual(["Hel"]);
    expect(resumed.onBroken).toHaveBeenCalledOnce();
    expect(resumed.release).toHaveBeenCalledWith("success");
    const unbroken = convert(translator().stream(), parseSse([sse([...first, ...rest])]));
    expect(resumed.text).toBe(unbroken);
    const { blocks, stopReason } = accumulate(resumed.text);
    expect(blocks).toEqual([{ type: "text", text: "Hello" }]);
    expect(stopReason).toBe("end_turn");
  });

  it("resumes under reasoning separation, prefilled with the backend's raw text", async () => {
    const options = { modelType: "qwen3" };
    const first = [chunk("c1", { role: "assistant", content: "<think>pl" })];
    const rest = [chunk("c1", { content: "an</think>Answer" }), chunk("c1", {}, "stop"), "[DONE]"];
    const second = [
      chunk("c2", { role: "assistant", content: "" }),
      ...rest.map((data) => data.replace('"c1"', '"c2"')),
    ];
    const resumed = await brokenThenResumed(first, second, [new ReasoningLayer(options)], openai());
    expect(resumed.outcome).toBe("complete");
    expect(resumed.prefills).toEqual(["<think>pl"]);
    const unbroken = convert(
      stack([new ReasoningLayer(options)], openai()),
      parseSse([sse([...first, ...rest])]),
    );
    expect(resumed.text).toBe(unbroken);
    const deltas = parseSse([resumed.text])
      .filter((event) => event.data !== "[DONE]")
      .map((event) => JSON.parse(event.data).choices?.[0]?.delta ?? {});
    expect(deltas.map((delta) => delta.reasoning_content ?? "").join("")).toBe("plan");
    expect(deltas.map((delta) => delta.content ?? "").join("")).toBe("Answer");
    expect(resumed.text.match(/\[DONE\]/g)).toHaveLength(1);
  });
});
