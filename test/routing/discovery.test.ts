import { describe, expect, it } from "vitest";
import type { BackendConfig } from "../../src/config/schema.js";
import { Discovery, expandPorts } from "../../src/routing/discovery.js";
import { AddressPolicy, type ResolveAll } from "../../src/upstream/address-policy.js";

/** Names map to fixed addresses; nothing is looked up outside the process. */
const stubResolve: ResolveAll = async (name) => {
  const table: Record<string, string> = { "meta-alias.test": "169.254.169.254", "engine.test": "10.0.0.7" };
  const address = table[name];
  if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: "ENOTFOUND" });
  return [{ address, family: 4 }];
};

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
        refused: () => {},
      },
      new AddressPolicy(),
    );
    await discovery.scan();
    expect([...registered.keys()].sort()).toEqual(["127.0.0.1:9001", "[::1]:9001"]);
    expect(registered.get("[::1]:9001")!.url).toBe("http://[::1]:9001");
    await discovery.scan();
    expect(probed).toHaveLength(6);
  });
});

describe("Discovery and the address policy", () => {
  it("neither probes nor registers an address the policy refuses, and reports each once", async () => {
    const registered = new Map<string, BackendConfig>();
    const probed: string[] = [];
    const refused: string[] = [];
    const discovery = new Discovery(
      {
        hosts: [
          "169.254.169.254",
          "metadata.google.internal.",
          "meta-alias.test",
          "::ffff:169.254.169.254",
          "100.100.100.200",
          "203.0.113.9",
          "engine.test",
        ],
        ports: ["8000"],
        intervalMs: 0,
        timeoutMs: 100,
      },
      async (url) => {
        probed.push(url);
        return ["m"];
      },
      {
        has: (id) => registered.has(id),
        register: async (id, backend) => void registered.set(id, backend),
        refused: (id) => refused.push(id),
      },
      new AddressPolicy(["203.0.113.0/24"], stubResolve),
    );
    await discovery.scan();
    await discovery.scan();
    expect(probed).toEqual(["http://engine.test:8000"]);
    expect([...registered.keys()]).toEqual(["engine.test:8000"]);
    expect(refused).toHaveLength(6);
  });
});
