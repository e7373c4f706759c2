/**
 * A registration that arrives through shared state (made on another replica, or written into the
 * store by anyone who can) passes this replica's own registration guard before it becomes a backend:
 * metadata and link-local addresses, `backend_deny_ranges`, userinfo and the allow-list refuse it
 * here as `POST /backends/register` would, and a check that finishes after the backend was
 * unregistered adds nothing.
 */
import { setImmediate as tick } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { localView } from "../../src/gateway/local-view.js";

let gateway: Gateway;

beforeAll(async () => {
  gateway = buildGateway(
    gatewayConfigSchema.parse({
      port: 0,
      log_level: "silent",
      health_interval: 0,
      load_interval: 0,
      backend_deny_ranges: ["203.0.113.0/24"],
    }),
  );
  await gateway.app.ready();
});

afterAll(async () => {
  await gateway?.close();
});

const ids = () => gateway.context.registry.list().map((backend) => backend.id);

async function settled(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await tick();
}

describe("a shared registration", () => {
  it("is refused here when this replica's guard refuses its URL", async () => {
    const view = localView(gateway.context);
    view.register("metadata", { url: "http://169.254.169.254", models: ["m"] });
    view.register("mapped", { url: "http://[::ffff:169.254.169.254]", models: ["m"] });
    view.register("denied", { url: "http://203.0.113.5:8000", models: ["m"] });
    view.register("creds", { url: "http://user:secret@127.0.0.1:9", models: ["m"] });
    view.register("engine", { url: "http://127.0.0.1:9", models: ["m"] });
    await settled();
    expect(ids()).toEqual(["engine"]);
  });

  it("adds nothing when it was unregistered while its check ran", async () => {
    const view = localView(gateway.context);
    view.register("brief", { url: "http://127.0.0.2:9", models: ["m"] });
    view.unregister("brief");
    await settled();
    expect(ids()).not.toContain("brief");
  });
});
