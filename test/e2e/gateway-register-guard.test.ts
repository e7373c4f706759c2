/**
 * `POST /backends/register` through a real gateway process refuses every spelling of a link-local
 * or metadata address that once slipped past it, and addresses in `backend_deny_ranges`, while
 * loopback stays allowed. Only literal addresses and metadata names are used: nothing is resolved
 * and no traffic leaves loopback (names that resolve are covered with a stub resolver in
 * test/upstream/address-policy.test.ts).
 */
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { postJson } from "../helpers/http.js";

afterAll(stopAll);

const url = (process: CliProcess) => process.ready[0]!.url;

describe("backend registration guard", () => {
  it("refuses metadata and link-local addresses in every form, and denied ranges", async () => {
    const mock = await startCli(["mock", "--port", "0", "--id", "m"]);
    const gateway = await startCli([
      "gateway",
      "--port",
      "0",
      "--log-level",
      "error",
      "--backend-deny-ranges",
      "127.0.0.2/32,fd12::/16",
    ]);
    const register = (target: string) =>
      postJson<{ error: { param: string; message: string } }>(`${url(gateway)}/backends/register`, {
        name: "probe",
        url: target,
        models: ["m"],
      });
    for (const target of [
      "http://metadata.google.internal./computeMetadata/v1",
      "http://169.254.169.254/latest",
      "http://[fd00:ec2::254]",
      "http://100.100.100.200",
      "http://[64:ff9b::a9fe:a9fe]",
      "http://[::169.254.169.254]",
      "http://[::ffff:169.254.169.254]",
      "http://[fe80::1]:8000",
      "http://127.0.0.2:8000",
      "http://[fd12::1]:8000",
    ]) {
      const response = await register(target);
      expect(response.status, target).toBe(403);
      expect(response.body.error.param, target).toBe("url");
    }
    const allowed = await register(url(mock));
    expect(allowed.status).toBe(200);
  });
});
