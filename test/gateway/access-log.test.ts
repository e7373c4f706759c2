import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import {
  accessLogEnabled,
  accessLogRecord,
  newAccessLogEntry,
  onFirstByte,
} from "../../src/gateway/access-log.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";

const PROMPT = "the secret plans for tomorrow";
const API_KEY = "sk-client-0123456789abcdef";

describe("accessLogEnabled", () => {
  it("follows log_level unless access_log is set", () => {
    expect(accessLogEnabled({ log_level: "info", access_log: undefined })).toBe(false);
    expect(accessLogEnabled({ log_level: "debug", access_log: undefined })).toBe(true);
    expect(accessLogEnabled({ log_level: "trace", access_log: undefined })).toBe(true);
    expect(accessLogEnabled({ log_level: "debug", access_log: false })).toBe(false);
    expect(accessLogEnabled({ log_level: "warn", access_log: true })).toBe(true);
  });

  it("reads the setting as a flag from text", () => {
    expect(gatewayConfigSchema.parse({ access_log: "true" }).access_log).toBe(true);
    expect(gatewayConfigSchema.parse({ access_log: "off" }).access_log).toBe(false);
    expect(gatewayConfigSchema.parse({}).access_log).toBeUndefined();
  });
});

describe("accessLogRecord", () => {
  const body = {
    model: "alias",
    messages: [{ role: "user", content: PROMPT }],
    api_key: API_KEY,
  };

  it("holds the request's outcome and the pipeline's notes", () => {
    const entry = {
      ...newAccessLogEntry(),
      client: "team-a",
      sentModel: "real-model",
      backend: "b1",
      attempts: 2,
      promptTokens: 12,
      completionTokens: 34,
      firstByteMs: 1.23456,
    };
    const record = accessLogRecord(
      { id: "r-1", method: "POST", url: "/v1/chat/completions?node=b1", body },
      200,
      5.6789,
      entry,
    );
    expect(record).toEqual({
      reqId: "r-1",
      method: "POST",
      path: "/v1/chat/completions",
      status: 200,
      latencyMs: 5.68,
      ttfbMs: 1.23,
      client: "team-a",
      model: "alias",
      sentModel: "real-model",
      backend: "b1",
      attempts: 2,
      promptTokens: 12,
      completionTokens: 34,
      clientGone: undefined,
    });
  });

  it("never carries the prompt or a key from the body", () => {
    const line = JSON.stringify(
      accessLogRecord(
        { id: "r-2", method: "POST", url: "/v1/chat/completions", body },
        502,
        1,
        newAccessLogEntry(),
      ),
    );
    expect(line).not.toContain(PROMPT);
    expect(line).not.toContain(API_KEY);
  });

  it("leaves sentModel out when the backend got the model asked for", () => {
    const entry = { ...newAccessLogEntry(), sentModel: "alias" };
    const record = accessLogRecord({ id: "r", method: "POST", url: "/", body }, 200, 1, entry);
    expect(record.sentModel).toBeUndefined();
  });

  it("has no model for a body that is not an object", () => {
    const record = accessLogRecord(
      { id: "r", method: "GET", url: "/health", body: undefined },
      200,
      1,
      newAccessLogEntry(),
    );
    expect(record.model).toBeUndefined();
  });
});

describe("the access log of a gateway", () => {
  const gateways: Gateway[] = [];
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
  });

  function gatewayLoggingTo(lines: string[], settings: Record<string, unknown>): Gateway {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        done();
      },
    });
    const config = gatewayConfigSchema.parse({
      backends: [{ name: "b1", url: "http://127.0.0.1:9", models: ["known-model"] }],
      client_keys: [{ name: "team-a", key: API_KEY }],
      ...settings,
    });
    const gateway = buildGateway(config, pino({ level: config.log_level }, sink));
    gateways.push(gateway);
    return gateway;
  }

  const requests = (lines: string[]) =>
    lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === "request");

  it("writes a line for gateway-made answers, with the key's name and neither key nor prompt", async () => {
    const lines: string[] = [];
    const { app } = gatewayLoggingTo(lines, { access_log: true, log_level: "warn" });
    const chat = (headers: Record<string, string>) =>
      app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        headers: { "content-type": "application/json", ...headers },
        payload: { model: "unknown-model", messages: [{ role: "user", content: PROMPT }] },
      });
    const unknownModel = await chat({ authorization: `Bearer ${API_KEY}`, "x-request-id": "req-404" });
    const noKey = await chat({ "x-request-id": "req-401" });
    expect([unknownModel.statusCode, noKey.statusCode]).toEqual([404, 401]);

    await vi.waitFor(() => expect(requests(lines)).toHaveLength(2));
    const [notFound, unauthorized] = requests(lines);
    expect(notFound).toMatchObject({
      reqId: "req-404",
      status: 404,
      client: "team-a",
      model: "unknown-model",
      attempts: 0,
    });
    expect(notFound?.ttfbMs).toEqual(expect.any(Number));
    expect(unauthorized).toMatchObject({ reqId: "req-401", status: 401, attempts: 0 });
    expect(unauthorized?.client).toBeUndefined();
    for (const line of lines) {
      expect(line).not.toContain(PROMPT);
      expect(line).not.toContain(API_KEY);
    }
  });

  it("writes nothing per request when off", async () => {
    const lines: string[] = [];
    const { app } = gatewayLoggingTo(lines, { log_level: "info" });
    const response = await app.inject({ method: "GET", url: "/no-such-route" });
    expect(response.statusCode).toBe(404);
    expect(requests(lines)).toEqual([]);
  });
});

describe("onFirstByte", () => {
  it("tells each watcher once, whichever watched first, and puts the original write back", () => {
    const written: string[] = [];
    const write = (chunk: string) => {
      written.push(chunk);
      return true;
    };
    const end = () => undefined;
    const raw = { write, end };
    const reply = { raw } as unknown as Parameters<typeof onFirstByte>[0];
    const seen: string[] = [];
    onFirstByte(reply, () => seen.push("access log"));
    onFirstByte(reply, () => seen.push("goodput"));
    raw.write("a");
    raw.write("b");
    expect(seen.sort()).toEqual(["access log", "goodput"]);
    expect(written).toEqual(["a", "b"]);
    expect(raw.write).toBe(write);
    expect(raw.end).toBe(end);
  });
});
