import { describe, expect, it } from "vitest";
import { checkAdminAccess, checkRegistrableUrl } from "../../src/gateway/admin-guard.js";
import type { GatewayError } from "../../src/gateway/errors.js";

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

describe("registrable backend URLs", () => {
  it("refuses link-local and metadata addresses by default", () => {
    for (const url of [
      "http://169.254.169.254/latest",
      "http://[fe80::1]:8000",
      "http://metadata.google.internal/v1",
    ]) {
      expect(
        codeOf(() => checkRegistrableUrl(url, [])),
        url,
      ).toBe("SWY_ERR_FORBIDDEN");
    }
    expect(codeOf(() => checkRegistrableUrl("http://10.0.0.5:8000", []))).toBeUndefined();
  });

  it("takes only hosts and CIDRs on the allow-list when one is set", () => {
    const allow = ["10.0.0.0/8", "gpu-1.internal", "fd00::/8"];
    expect(codeOf(() => checkRegistrableUrl("http://10.9.8.7:8000", allow))).toBeUndefined();
    expect(codeOf(() => checkRegistrableUrl("http://gpu-1.internal:8000", allow))).toBeUndefined();
    expect(codeOf(() => checkRegistrableUrl("http://[fd00::5]:8000", allow))).toBeUndefined();
    expect(codeOf(() => checkRegistrableUrl("http://192.168.1.1:8000", allow))).toBe("SWY_ERR_FORBIDDEN");
    expect(codeOf(() => checkRegistrableUrl("http://gpu-2.internal:8000", allow))).toBe("SWY_ERR_FORBIDDEN");
  });
});
