/**
 * Hot reload without downtime: the config file is rewritten twice (valid, then invalid) while a few
 * hundred requests run; none fails, the valid change takes effect and the invalid one is refused.
 */
import { renameSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { chat, eventually, getJson, postJson } from "../helpers/http.js";
import { parsePrometheusText, sumSamples } from "../helpers/prometheus.js";
import { writeTempConfig } from "../helpers/temp-config.js";

const configs: { remove(): void }[] = [];
afterAll(async () => {
  await stopAll();
  for (const config of configs) config.remove();
});

const entry = (mock: CliProcess, keys: string[] = []) => ({
  name: mock.ready[0]!.id,
  url: mock.ready[0]!.url,
  models: ["mock-model"],
  api_keys: keys,
});

function rewrite(path: string, content: string): void {
  // Like an editor: write a new file and move it over the old one.
  writeFileSync(`${path}.new`, content);
  renameSync(`${path}.new`, path);
}

interface StatusBody {
  backends: { name: string }[];
}

describe("hot reload", () => {
  it("applies a valid config and refuses an invalid one while requests keep succeeding", async () => {
    const [a, b, c] = await Promise.all(
      ["a", "b", "c"].map((id) => startCli(["mock", "--port", "0", "--id", id])),
    );
    const config = writeTempConfig({ backends: [entry(a!), entry(b!)] });
    configs.push(config);
    const gateway = await startCli([
      "gateway",
      "--port",
      "0",
      "--config",
      config.path,
      "--log-level",
      "error",
    ]);
    const base = gateway.ready[0]!.url;

    const reloads = async (result: string) => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return sumSamples(parsePrometheusText(text), "switchyard_config_reloads_total", { result });
    };

    // Load runs throughout; each rewrite waits for its own reload outcome, because rewrites closer
    // together than the watcher's debounce are (rightly) read once, as the last one left them.
    const statuses: number[] = [];
    let loading = true;
    const load = async () => {
      while (loading) {
        statuses.push((await chat(base, "mock-model")).status);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    const workers = Array.from({ length: 6 }, load);
    try {
      await eventually(() => statuses.length >= 60, 15_000);
      rewrite(config.path, JSON.stringify({ backends: [entry(b!, ["key-new"]), entry(c!, ["key-new"])] }));
      await eventually(async () => (await reloads("applied")) >= 1, 15_000);
      const afterValid = statuses.length;
      rewrite(config.path, '{"backends": [ this is not json');
      await eventually(async () => (await reloads("refused")) >= 1, 15_000);
      await eventually(() => statuses.length >= afterValid + 60, 15_000);
    } finally {
      loading = false;
      await Promise.all(workers);
    }
    expect(statuses.length).toBeGreaterThanOrEqual(120);
    expect(statuses.filter((code) => code !== 200)).toEqual([]);

    const status = await getJson<StatusBody>(`${base}/status`);
    expect(status.body.backends.map((backend) => backend.name).join(",")).toBe("b,c");
    const keysBefore = (await getJson<{ keys: Record<string, number> }>(`${c!.ready[0]!.url}/mock/stats`))
      .body.keys;
    const routed = new Set<string>();
    for (let i = 0; i < 6; i++) routed.add((await chat(base, "mock-model")).headers.get("x-routed-node")!);
    expect(routed).toEqual(new Set(["b", "c"]));
    const keysAfter = (await getJson<{ keys: Record<string, number> }>(`${c!.ready[0]!.url}/mock/stats`)).body
      .keys;
    expect(keysAfter["key-new"]! - (keysBefore["key-new"] ?? 0)).toBe(3);
    expect(keysAfter["key-old"]).toBeUndefined();
  });

  it("reloads on POST /admin/reload and on SIGHUP, reporting what changed", async () => {
    const [a, b] = await Promise.all(["ra", "rb"].map((id) => startCli(["mock", "--port", "0", "--id", id])));
    const config = writeTempConfig({ backends: [entry(a!)] });
    configs.push(config);
    const gateway = await startCli(
      ["gateway", "--port", "0", "--config", config.path, "--log-level", "error"],
      {
        env: { SWITCHYARD_ADMIN_TOKEN: "t" },
      },
    );
    const base = gateway.ready[0]!.url;
    writeFileSync(config.path, JSON.stringify({ backends: [entry(a!), entry(b!)], max_retries: 4 }));
    const reloaded = await postJson<{ status: string; added: string[]; kept: string[] }>(
      `${base}/admin/reload`,
      {},
      { authorization: "Bearer t" },
    );
    expect(reloaded.status).toBe(200);
    expect(reloaded.body.status).toBe("reloaded");
    // The file watcher may have applied the same change a moment earlier: then rb counts as kept.
    expect([...reloaded.body.added, ...reloaded.body.kept].sort()).toEqual(["ra", "rb"]);

    writeFileSync(config.path, JSON.stringify({ backends: [{ url: "nope" }] }));
    const refused = await postJson<{ error: { code: string; message: string } }>(
      `${base}/admin/reload`,
      {},
      { authorization: "Bearer t" },
    );
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain("backends.0.url");

    // A valid file that would leave nothing to route to is refused too, and the backends stay.
    writeFileSync(config.path, JSON.stringify({ backends: [] }));
    const emptied = await postJson<{ error: { code: string; message: string } }>(
      `${base}/admin/reload`,
      {},
      { authorization: "Bearer t" },
    );
    expect(emptied.status).toBe(409);
    expect(emptied.body.error.code).toBe("reload_refused");
    expect(emptied.body.error.message).toContain("allow_empty_backends");
    expect((await chat(base, "mock-model")).status).toBe(200);

    writeFileSync(config.path, JSON.stringify({ backends: [entry(b!)] }));
    gateway.child.kill("SIGHUP");
    await eventually(async () => {
      const status = await getJson<StatusBody>(`${base}/status`);
      return status.body.backends.map((backend) => backend.name).join(",") === "rb";
    });
  });
});
