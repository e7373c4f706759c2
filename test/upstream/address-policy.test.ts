import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddressPolicy, parseDenyRange, type ResolveAll } from "../../src/upstream/address-policy.js";
import { embeddedIpv4 } from "../../src/upstream/ip-address.js";
import { UpstreamPools } from "../../src/upstream/pools.js";

/** A stub resolver: names map to fixed addresses, and nothing is looked up outside the process. */
function stubResolver(table: Record<string, string[]>): ResolveAll {
  return async (name) => {
    const addresses = table[name];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
}

describe("embedded IPv4", () => {
  it("unwraps every form that carries an IPv4 address", () => {
    expect(embeddedIpv4("::ffff:169.254.169.254")).toBe("169.254.169.254");
    expect(embeddedIpv4("::ffff:a9fe:a9fe")).toBe("169.254.169.254");
    expect(embeddedIpv4("64:ff9b::a9fe:a9fe")).toBe("169.254.169.254");
    expect(embeddedIpv4("64:ff9b:1::a9fe:a9fe")).toBe("169.254.169.254");
    expect(embeddedIpv4("::169.254.169.254")).toBe("169.254.169.254");
    expect(embeddedIpv4("2002:a9fe:a9fe::1")).toBe("169.254.169.254");
    expect(embeddedIpv4("[::FFFF:100.100.100.200]")).toBe("100.100.100.200");
  });

  it("leaves loopback, unspecified and plain IPv6 addresses alone", () => {
    expect(embeddedIpv4("::1")).toBeUndefined();
    expect(embeddedIpv4("::")).toBeUndefined();
    expect(embeddedIpv4("fd00::5")).toBeUndefined();
    expect(embeddedIpv4("10.0.0.1")).toBeUndefined();
  });
});

describe("address policy", () => {
  const policy = new AddressPolicy(
    ["203.0.113.0/24", "2001:db8::/32"],
    stubResolver({
      "rebind.test": ["127.0.0.1", "169.254.169.254"],
      "nat64.test": ["64:ff9b::a9fe:a9fe"],
      "alibaba.test": ["100.100.100.200"],
      "aws6.test": ["fd00:ec2::254"],
      "denied.test": ["203.0.113.7"],
      "engine.test": ["10.1.2.3", "fd12::3"],
    }),
  );

  it("refuses link-local, metadata and denied addresses in every spelling", async () => {
    for (const url of [
      "http://169.254.169.254/",
      "http://169.254.1.1:8000",
      "http://[febf::1]",
      "http://[fd00:ec2::254]",
      "http://100.100.100.200",
      "http://[64:ff9b::a9fe:a9fe]",
      "http://[::169.254.169.254]",
      "http://[::ffff:169.254.169.254]",
      "http://[::ffff:100.100.100.200]",
      "http://[2002:a9fe:a9fe::]",
      "http://2852039166",
      "http://0251.0376.0251.0376",
      "http://metadata.google.internal",
      "http://metadata.google.internal.",
      "http://metadata.goog..",
      "http://203.0.113.200",
      "http://[::ffff:203.0.113.5]",
      "http://[2001:db8::1]",
    ]) {
      expect(await policy.refusalOfUrl(url), url).toBeDefined();
    }
  });

  it("refuses a name when any address it resolves to is refused", async () => {
    expect(await policy.refusalOfUrl("http://rebind.test:8000")).toMatch(/169\.254\.169\.254.*metadata/);
    expect(await policy.refusalOfUrl("http://rebind.test.:8000")).toBeDefined();
    expect(await policy.refusalOfUrl("http://nat64.test")).toMatch(/link-local|metadata/);
    expect(await policy.refusalOfUrl("http://alibaba.test")).toMatch(/metadata/);
    expect(await policy.refusalOfUrl("http://aws6.test")).toMatch(/metadata/);
    expect(await policy.refusalOfUrl("http://denied.test")).toMatch(/backend_deny_ranges/);
  });

  it("allows loopback, private ranges and names that do not resolve yet", async () => {
    for (const url of [
      "http://127.0.0.1:8000",
      "http://[::1]:8000",
      "http://localhost.:8000",
      "http://10.0.0.5",
      "http://192.168.1.20",
      "http://[fd12::1]",
      "http://engine.test",
      "http://not-yet.test",
    ]) {
      expect(await policy.refusalOfUrl(url), url).toBeUndefined();
    }
  });

  it("names a malformed deny range", () => {
    expect(() => parseDenyRange("10.0.0.0/33")).toThrow(/10\.0\.0\.0\/33/);
    expect(() => parseDenyRange("example.com")).toThrow();
    expect(parseDenyRange("fd00::/8")).toEqual({ base: "fd00::", bits: 8, type: "ipv6" });
  });
});

describe("connect-time check", () => {
  let server: Server;
  let port: number;
  let reached = 0;
  beforeAll(async () => {
    server = createServer((_request, response) => {
      reached += 1;
      response.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await pools.closeAll();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  // The name answers with loopback first; after "rebinding" it answers with the metadata address.
  const table: Record<string, string[]> = { "engine.test": ["127.0.0.1"] };
  const pools = new UpstreamPools({
    connectTimeoutMs: 2_000,
    policy: new AddressPolicy(["127.0.0.2/32"], stubResolver(table)),
  });

  it("connects to a name whose addresses pass, through the stub resolver", async () => {
    const response = await pools.for(`http://engine.test:${port}`).request({ method: "GET", path: "/" });
    expect(await response.body.text()).toBe("ok");
    expect(reached).toBe(1);
  });

  it("refuses a new connection once the name resolves to a refused address", async () => {
    await pools.release(`http://engine.test:${port}`);
    table["engine.test"] = ["169.254.169.254"];
    const error = await pools
      .for(`http://engine.test:${port}`)
      .request({ method: "GET", path: "/" })
      .catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBe("SWY_ERR_ADDRESS_REFUSED");
    expect(reached).toBe(1);
  });

  it("refuses literal addresses the policy denies, with nothing sent", async () => {
    for (const origin of [`http://127.0.0.2:${port}`, `http://[::ffff:169.254.169.254]:${port}`]) {
      const error = await pools
        .for(origin)
        .request({ method: "GET", path: "/" })
        .catch((caught: unknown) => caught);
      expect((error as { code?: string }).code, origin).toBe("SWY_ERR_ADDRESS_REFUSED");
    }
    expect(reached).toBe(1);
  });
});
