import { describe, expect, it } from "vitest";
import type { BackendConfig } from "../../src/config/schema.js";
import { Discovery, expandPorts } from "../../src/routing/discovery.js";

describe("expandPorts", () => {
  it("expands ranges and drops what is not a port", () => {
    expect(expandPorts(["8000-8002", "11434", "x", "0", "70000"])).toEqual([8000, 8001, 8002, 11434]);
  });
});

describe("Discovery", () => {
  it("registers each address that lists models, once", async () => {
    const registered = new Map<string, BackendConfig>();
    const probed: string[] = [];
    const discovery = new Discovery(
      { hosts: ["127.0.0.1", "::1"], ports: ["9000-9001"], intervalMs: 0, timeoutMs: 100 },
      async (url) => {
        probed.push(url);
        return url.endsWith(":9001") ? ["m"] : undefined;
      },
      {
        has: (id) => registered.has(id),
        register: async (id, backend) => void registered.set(id, backend),
      },
    );
    await discovery.scan();
    expect([...registered.keys()].sort()).toEqual(["127.0.0.1:9001", "[::1]:9001"]);
    expect(registered.get("[::1]:9001")!.url).toBe("http://[::1]:9001");
    await discovery.scan();
    expect(probed).toHaveLength(6);
  });
});
