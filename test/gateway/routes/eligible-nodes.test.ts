/** `GET /v1/eligible_nodes?model=` lists the nodes that can take the model now. */
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../../src/gateway/app.js";

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

function gatewayWith(names: string[]) {
  const backends = names.map((name, index) => ({
    name,
    url: `http://127.0.0.1:${index + 1}`,
    models: ["m"],
    max_connections: 1,
  }));
  const built = buildGateway(gatewayConfigSchema.parse({ backends }), pino({ level: "silent" }));
  gateways.push(built);
  return built;
}

async function eligible(gateway: Gateway) {
  const response = await gateway.app.inject({ method: "GET", url: "/v1/eligible_nodes?model=m" });
  expect(response.statusCode).toBe(200);
  return response.json() as { object: string; model: string; data: { node: string; inflight: number }[] };
}

describe("GET /v1/eligible_nodes", () => {
  it("leaves out nodes at their concurrency cap, draining or unhealthy, keeping the list shape", async () => {
    const gateway = gatewayWith(["free", "full", "draining", "down"]);
    const { registry } = gateway.context;
    registry.get("full")!.inflight = 1;
    registry.get("draining")!.draining = true;
    registry.get("down")!.healthy = false;
    const body = await eligible(gateway);
    expect(body).toMatchObject({ object: "list", model: "m" });
    expect(body.data.map((node) => node.node)).toEqual(["free"]);

    registry.get("full")!.inflight = 0;
    expect((await eligible(gateway)).data.map((node) => node.node)).toEqual(["free", "full"]);
  });
});
