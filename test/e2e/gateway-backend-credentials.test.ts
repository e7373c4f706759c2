/**
 * A user and password in a config backend's URL are never shown: not in `/status`, `/v1/nodes`,
 * `/backends`, `/stats`, `/metrics` nor the log, even with client keys and an admin token set. A
 * registered URL may not carry them at all.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { postJson } from "../helpers/http.js";

afterAll(stopAll);

const url = (process: CliProcess) => process.ready[0]!.url;
const SECRET = "Pa55w0rdNeverShown";

describe("credentials in backend URLs", () => {
  it("masks them in every view and refuses them at registration", async () => {
    const mock = await startCli(["mock", "--port", "0", "--id", "m"]);
    const mockUrl = new URL(url(mock));
    const gateway = await startCli([
      "gateway",
      "--port",
      "0",
      "--log-level",
      "info",
      "--admin-token",
      "admin-secret",
      "--client-keys",
      JSON.stringify([{ name: "c", key: "client-secret" }]),
      "--backend",
      `http://user:${SECRET}@${mockUrl.host}`,
    ]);
    const base = url(gateway);
    const admin = { authorization: "Bearer admin-secret" };
    const views = await Promise.all(
      ["/status", "/v1/nodes", "/backends", "/stats", "/metrics"].map(async (path) => {
        const response = await fetch(`${base}${path}`, { headers: admin });
        expect(response.status, path).toBe(200);
        return [path, await response.text()] as const;
      }),
    );
    for (const [path, text] of views) expect(text, path).not.toContain(SECRET);
    expect(views.find(([path]) => path === "/status")![1]).toContain(`http://***:***@${mockUrl.host}`);

    const registered = await postJson<{ error: { param: string } }>(
      `${base}/backends/register`,
      { name: "r", url: `http://user:${SECRET}@${mockUrl.host}` },
      admin,
    );
    expect(registered.status).toBe(400);
    expect(registered.body.error.param).toBe("url");
    expect(JSON.stringify(registered.body)).not.toContain(SECRET);
    expect(gateway.output()).not.toContain(SECRET);
  });
});
