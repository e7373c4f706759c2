import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ClientGone } from "../../src/upstream/client-gone.js";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.js";

describe("ClientGone", () => {
  it("tells each listener once, in order, and none after", () => {
    const signal = new ClientGone();
    const calls: string[] = [];
    signal.on("abort", () => calls.push("on"));
    signal.once("abort", () => calls.push("once"));
    signal.abort();
    signal.abort();
    expect(calls).toEqual(["on", "once"]);
    expect(signal.aborted).toBe(true);
    expect(signal.listenerCount("abort")).toBe(0);
  });

  it("forgets a removed listener, the last one added of equal ones first", () => {
    const signal = new ClientGone();
    const listener = vi.fn();
    const other = vi.fn();
    signal.on("abort", listener);
    signal.on("abort", other);
    signal.on("abort", listener);
    signal.removeListener("abort", listener);
    expect(signal.listenerCount("abort")).toBe(2);
    signal.off("abort", other);
    signal.abort();
    expect(listener).toHaveBeenCalledOnce();
    expect(other).not.toHaveBeenCalled();
  });
});

describe("ClientGone as an undici request's signal", () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    // Never answers: only the signal ends the request.
    upstream = await startFakeUpstream(() => {});
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it("aborts a request under way and leaves no listener behind", async () => {
    const signal = new ClientGone();
    const pending = request(upstream.url, { method: "POST", body: "{}", signal });
    await vi.waitFor(() => expect(signal.listenerCount("abort")).toBe(1));
    signal.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("refuses to start when it is aborted already", async () => {
    const signal = new ClientGone();
    signal.abort();
    await expect(request(upstream.url, { method: "POST", body: "{}", signal })).rejects.toMatchObject({
      name: "AbortError",
    });
  });
});
