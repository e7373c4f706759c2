/**
 * Regenerates the README's screenshots of `switchyard bench` (run on demand, skipped otherwise):
 *   SWITCHYARD_README_SCREENSHOTS=1 npx vitest run test/e2e/bench-screenshots
 * It runs the real CLI in a tmux pane against `switchyard cluster` (two models, three mocks, one of them
 * cutting a stream now and then), captures the live view mid-run, and screenshots it and the finished report
 * with headless Chromium into docs/images/.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { terminalPage } from "../bench/ansi-html.js";
import { launchChromium } from "../bench/chromium.js";
import { CLI_PATH, startCli, stopAll } from "../helpers/cli-process.js";

const IMAGES = fileURLToPath(new URL("../../docs/images/", import.meta.url));
const SESSION = `bench-shot-${process.pid}`;
const enabled = process.env.SWITCHYARD_README_SCREENSHOTS === "1";

afterAll(async () => {
  if (enabled) execFileSync("tmux", ["kill-session", "-t", SESSION], { stdio: "ignore" });
  await stopAll();
});

describe.runIf(enabled)("README screenshots of switchyard bench", () => {
  it("captures the live view and the report", { timeout: 90_000 }, async () => {
    const cluster = await startCli(
      [
        "cluster",
        "--num-backends",
        "3",
        "--backend-base-port",
        "0",
        "--lb-port",
        "0",
        "--quiet",
        "--models",
        "llama-3.1-8b,qwen2.5-7b",
        "--first-token-delay-ms",
        "45",
        "--token-delay-ms",
        "4",
      ],
      { readyCount: 4 },
    );
    const gateway = cluster.ready.find((line) => line.role === "gateway")!.url;
    const flaky = cluster.ready.find((line) => line.id === "mock-3")!.url;
    await fetch(`${flaky}/mock/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ dropRate: 0.02 }),
    });
    const dir = await mkdtemp(join(tmpdir(), "bench-shot-"));
    const command = [
      process.execPath,
      CLI_PATH,
      "bench",
      "--url",
      gateway,
      "--duration",
      "20",
      "--concurrency",
      "16",
      "--output-tokens",
      "32-96",
      "--slo-ttft-ms",
      "80",
      "--out",
      dir,
      "; sleep 30",
    ].join(" ");
    execFileSync("tmux", ["new-session", "-d", "-s", SESSION, "-x", "132", "-y", "22", command]);
    await sleep(17_000);
    const live = execFileSync("tmux", ["capture-pane", "-p", "-e", "-t", SESSION], { encoding: "utf8" });
    expect(live).toContain("llama-3.1-8b");
    for (let waited = 0; !existsSync(join(dir, "report.html")) && waited < 30_000; waited += 250)
      await sleep(250);

    await mkdir(IMAGES, { recursive: true });
    const page = join(dir, "live.html");
    await writeFile(page, terminalPage(live.trimEnd(), "switchyard bench --url http://127.0.0.1:32000 …"));
    const browser = await launchChromium();
    try {
      const terminal = await browser.newPage({
        viewport: { width: 1300, height: 600 },
        deviceScaleFactor: 1,
      });
      await terminal.goto(`file://${page}`);
      await terminal.locator(".window").screenshot({ path: join(IMAGES, "bench-live.png") });
      const report = await browser.newPage({ viewport: { width: 1280, height: 1480 }, deviceScaleFactor: 1 });
      await report.goto(`file://${join(dir, "report.html")}`);
      await report.screenshot({ path: join(IMAGES, "bench-report.png") });
    } finally {
      await browser.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
