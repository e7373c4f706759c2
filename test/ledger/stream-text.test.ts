/** A streamed answer's kept text: what the client got, in order, characters cut across chunks decoded whole, never past its cap. */
import type { FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { newAccessLogEntry } from "../../src/gateway/access-log.js";
import { keepStreamText } from "../../src/gateway/ledger-row.js";

function request() {
  return { accessLog: newAccessLogEntry() } as unknown as FastifyRequest & {
    accessLog: { completionText: string | undefined };
  };
}

describe("keepStreamText", () => {
  it("keeps frames and byte chunks in order, a character split between chunks whole", () => {
    const asked = request();
    const keep = keepStreamText(asked, 1_000);
    const euro = Buffer.from("€");
    keep("data: one\n\n");
    keep(Buffer.concat([Buffer.from("data: "), euro.subarray(0, 1)]));
    keep(Buffer.concat([euro.subarray(1), Buffer.from("\n\n")]));
    expect(asked.accessLog.completionText).toBe("data: one\n\ndata: €\n\n");
  });

  it("stops at its cap however long the stream runs", () => {
    const asked = request();
    const keep = keepStreamText(asked, 10);
    for (let index = 0; index < 1_000; index++) keep("data: 0123456789\n\n");
    expect(asked.accessLog.completionText).toBe("data: 0123");
  });
});
