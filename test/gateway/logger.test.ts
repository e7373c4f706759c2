import Fastify from "fastify";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { forFastify } from "../../src/gateway/logger.js";

describe("forFastify", () => {
  it("gives every request fastify's own logger, and its lines still reach the gateway's", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
    const app = Fastify({ loggerInstance: forFastify(logger) });
    const seen: unknown[] = [];
    app.get("/", async (request) => {
      seen.push(request.log);
      request.log.warn({ reqId: request.id }, "noted");
      return {};
    });
    await app.inject("/");
    await app.inject("/");
    await app.close();
    expect(seen[0]).toBe(app.log);
    expect(seen[1]).toBe(app.log);
    const noted = lines.map((line) => JSON.parse(line)).filter((record) => record.msg === "noted");
    expect(noted).toHaveLength(2);
    expect(app.log.child({})).toBe(app.log);
  });
});
