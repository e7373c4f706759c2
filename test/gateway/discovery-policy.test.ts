/**
 * A discovery scan goes through the address policy (issue 16, finding 4): a scanned address that
 * `backend_deny_ranges` refuses is sent nothing, not even the `/v1/models` probe, and never becomes
 * a backend; the same scan without the deny range finds the server, so the scan itself works.
 */
import { afterEach, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.js";

let upstream: FakeUpstream | undefined;
let gateway: Gateway | undefined;

afterEach(async () => {
  await gateway?.close();
  await upstream?.close();
  gateway = undefined;
  upstream = undefined;
});

async function scanOnce(denyRanges: string[]): Promise<{ hits: number; backends: string[] }> {
  upstream = await startFakeUpstream((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ object: "list", data: [{ id: "m", object: "model" }] }));
  });
  const { hostname, port } = new URL(upstream.url);
  gateway = buildGateway(
    gatewayConfigSchema.parse({
      host: "127.0.0.1",
      port: 0,
      log_level: "silent",
      health_interval: 0,
      load_interval: 0,
      scan_interval: 0,
      scan_hosts: [hostname],
      scan_ports: [port],
      backend_deny_ranges: denyRanges,
    }),
  );
  await gateway.start();
  return { hits: upstream.hits, backends: gateway.context.registry.list().map((backend) => backend.id) };
}

describe("discovery under the address policy", () => {
  it("registers a scanned server the policy allows", async () => {
    const { hits, backends } = await scanOnce([]);
    expect(hits).toBeGreaterThan(0);
    expect(backends).toHaveLength(1);
  });

  it("sends nothing to a scanned address in backend_deny_ranges and registers nothing", async () => {
    const { hits, backends } = await scanOnce(["127.0.0.0/8"]);
    expect(hits).toBe(0);
    expect(backends).toEqual([]);
  });
});
