import { describe, expect, it } from "vitest";
import { checkAdminAccess, checkRegistrableUrl } from "../../src/gateway/admin-guard.js";
import type { GatewayError } from "../../src/gateway/errors.js";
import { AddressPolicy } from "../../src/upstream/address-policy.js";

function codeOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as GatewayError).code;
  }
}

describe("admin access", () => {
  it("is open on loopback without a token, and refused beyond loopback without one", () => {
    expect(codeOf(() => checkAdminAccess(undefined, "127.0.0.1", undefined))).toBeUndefined();
    expect(codeOf(() => checkAdminAccess(undefined, "0.0.0.0", undefined))).toBe("SWY_ERR_FORBIDDEN");
    expect(codeOf(() => checkAdminAccess(undefined, "10.1.2.3", "Bearer x"))).toBe("SWY_ERR_FORBIDDEN");
  });

  it("needs the exact bearer token when one is set, wherever the gateway listens", () => {
    expect(codeOf(() => checkAdminAccess("s3cret", "0.0.0.0", "Bearer s3cret"))).toBeUndefined();
    expect(codeOf(() => checkAdminAccess("s3cret", "127.0.0.1", "Bearer s3cre"))).toBe(
      "SWY_ERR_UNAUTHORIZED",
    );
    expect(codeOf(() => checkAdminAccess("s3cret", "127.0.0.1", undefined))).toBe("SWY_ERR_UNAUTHORIZED");
  });
});

async function refusal(url: string, allow: readonly string[] = []): Promise<string | undefined> {
  try {
    await checkRegistrableUrl(url, allow, policy);
    return undefined;
  } catch (error) {
    return (error as GatewayError).code;
  }
}

/** Names resolve only here: no lookup leaves the process. */
const policy = new AddressPolicy([], async (name) => {
  const table: Record<string, string> = { "rebound.test": "169.254.169.254", "gpu-1.internal": "10.0.0.9" };
  const address = table[name];
  if (!address) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: "ENOTFOUND" });
  return [{ address, family: 4 }];
});

describe("registrable backend URLs", () => {
  it("refuses link-local and metadata addresses and names, however written", async () => {
    for (const url of [
      "http://169.254.169.254/latest",
      "http://[fe80::1]:8000",
      "http://metadata.google.internal/v1",
      "http://metadata.google.internal./v1",
      "http://METADATA.Google.Internal/v1",
      "http://rebound.test:8000",
      "http://rebound.test.:8000",
      "http://[fd00:ec2::254]",
      "http://100.100.100.200",
      "http://[64:ff9b::a9fe:a9fe]",
      "http://[::169.254.169.254]",
      "http://[::ffff:169.254.169.254]",
      "http://0xa9fea9fe",
    ]) {
      expect(await refusal(url), url).toBe("SWY_ERR_FORBIDDEN");
    }
    expect(await refusal("http://10.0.0.5:8000")).toBeUndefined();
    expect(await refusal("http://127.0.0.1:8000")).toBeUndefined();
  });

  it("refuses a user or password in the URL as a client mistake naming the field", async () => {
    expect(await refusal("http://user:secret@127.0.0.1:8000")).toBe("SWY_ERR_INVALID_REQUEST");
    expect(await refusal("http://user@127.0.0.1:8000")).toBe("SWY_ERR_INVALID_REQUEST");
  });

  it("takes only hosts and CIDRs on the allow-list when one is set", async () => {
    const allow = ["10.0.0.0/8", "gpu-1.internal", "fd00::/8"];
    expect(await refusal("http://10.9.8.7:8000", allow)).toBeUndefined();
    expect(await refusal("http://gpu-1.internal:8000", allow)).toBeUndefined();
    expect(await refusal("http://gpu-1.internal.:8000", allow)).toBeUndefined();
    expect(await refusal("http://[fd00::5]:8000", allow)).toBeUndefined();
    expect(await refusal("http://192.168.1.1:8000", allow)).toBe("SWY_ERR_FORBIDDEN");
    expect(await refusal("http://gpu-2.internal:8000", allow)).toBe("SWY_ERR_FORBIDDEN");
    // The metadata address stays refused even inside an allowed range.
    expect(await refusal("http://[fd00:ec2::254]", allow)).toBe("SWY_ERR_FORBIDDEN");
  });
});
