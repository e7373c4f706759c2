/**
 * The web console in a real headless Chromium, against a gateway with two mock backends: the token
 * prompt, the fleet with live figures, a backend killed turning unhealthy on screen, drain from the
 * page, and the routing decisions of requests sent meanwhile. With SWITCHYARD_README_SCREENSHOTS=1
 * it also writes the README's screenshots (laptop and phone widths) into docs/images/.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway, type Gateway } from "../../src/gateway/app.js";
import { type RunningMock, startMock } from "../../src/mock/server.js";
import {
  launchChromium,
  MEASURE_CHARTS,
  type RenderedChart,
  shouldRunBrowserTests,
} from "../bench/chromium.js";
import { seededLedgerDir } from "../helpers/ledger-snapshot.js";

const TOKEN = "console-admin-token";
const IMAGES = fileURLToPath(new URL("../../docs/images/", import.meta.url));
const screenshots = process.env.SWITCHYARD_README_SCREENSHOTS === "1";

describe.runIf(shouldRunBrowserTests())("the console in Chromium", () => {
  let browser: Browser;
  let gateway: Gateway;
  let url: string;
  let ledgerDir: string;
  const mocks: RunningMock[] = [];

  beforeAll(async () => {
    mocks.push(
      await startMock({ host: "127.0.0.1", port: 0, id: "mock-a", models: ["llama-3.1-8b"] }),
      await startMock({ host: "127.0.0.1", port: 0, id: "mock-b", models: ["llama-3.1-8b"] }),
    );
    ledgerDir = await mkdtemp(join(tmpdir(), "console-ledger-"));
    const config = gatewayConfigSchema.parse({
      host: "127.0.0.1",
      port: 0,
      admin_token: TOKEN,
      ledger: true,
      ledger_dir: await seededLedgerDir(join(ledgerDir, "db")),
      prices: { "llama-3.1-8b": { input: 1, output: 2 } },
      health_interval: 1,
      backends: mocks.map((mock) => ({
        name: mock.id,
        url: mock.url,
        models: ["llama-3.1-8b"],
        max_connections: 8,
      })),
    });
    gateway = buildGateway(config, pino({ level: "silent" }));
    url = await gateway.start();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await Promise.all(mocks.map((mock) => mock.close()));
    if (ledgerDir) await rm(ledgerDir, { recursive: true, force: true });
  });

  async function traffic(count: number, key?: string): Promise<void> {
    await Promise.all(
      Array.from({ length: count }, async () => {
        const response = await fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
          body: JSON.stringify({ model: "llama-3.1-8b", messages: [{ role: "user", content: "hi" }] }),
        });
        await response.arrayBuffer();
      }),
    );
  }

  async function openConsole(width: number, height: number): Promise<Page> {
    // The page's policy forbids eval, which Playwright's string predicates use.
    const page = await browser.newPage({ viewport: { width, height }, bypassCSP: true });
    await page.goto(`${url}/console`);
    return page;
  }

  it("asks for the admin token, then shows the fleet, decisions and health live", {
    timeout: 60_000,
  }, async () => {
    const denied = await fetch(`${url}/console/api/fleet`);
    expect(denied.status).toBe(401);

    const page = await openConsole(1280, 800);
    await page.waitForSelector("form.token input");
    await page.fill("form.token input", TOKEN);
    await page.click("form.token button");
    await page.waitForSelector('article.backend[data-backend="mock-a"]');
    expect(await page.locator("article.backend").count()).toBe(2);
    expect(await page.locator('article.backend[data-backend="mock-b"]').getAttribute("data-health")).toBe(
      "ok",
    );

    // Traffic appears: counters move and the decisions tab tails the requests with their picks.
    await traffic(20);
    await page.waitForFunction(
      `Array.from(document.querySelectorAll("article.backend .requests")).some((cell) => parseInt(cell.textContent, 10) > 0)`,
    );
    await page.click('nav button[data-view="routing"]');
    await page.waitForSelector("#routing tr.decision");
    const firstDecision = await page.locator("#routing tr.decision").first().textContent();
    expect(firstDecision).toMatch(/llama-3\.1-8b/);
    expect(firstDecision).toMatch(/→ mock-[ab] among mock-/);

    // Keep traffic flowing so the sparklines have points, then look at the charts' layout.
    await page.click('nav button[data-view="fleet"]');
    for (let i = 0; i < 3; i++) {
      await traffic(10);
      await page.waitForTimeout(1_100);
    }
    const charts = (await page.evaluate(MEASURE_CHARTS)) as RenderedChart[];
    expect(charts).toHaveLength(2);
    for (const chart of charts) {
      expect(chart.width).toBeGreaterThan(100);
      expect(chart.marks).toBe(1);
    }
    if (screenshots) {
      await mkdir(IMAGES, { recursive: true });
      await page.screenshot({ path: `${IMAGES}console-fleet.png` });
    }

    // A backend killed turns unhealthy on screen within its health interval (1 s here) and a bit.
    await mocks[1]!.close();
    await page.waitForSelector('article.backend[data-backend="mock-b"][data-health="bad"]', {
      timeout: 10_000,
    });

    // Drain from the page.
    await page.click('article.backend[data-backend="mock-a"] button.drain');
    const healthOfA = `document.querySelector('article.backend[data-backend="mock-a"] .health').textContent`;
    await page.waitForFunction(`${healthOfA}.includes("draining")`);
    expect(gateway.context.registry.get("mock-a")?.draining).toBe(true);
    await page.click('article.backend[data-backend="mock-a"] button.drain');
    await page.waitForFunction(`!${healthOfA}.includes("draining")`);
    expect(gateway.context.registry.get("mock-a")?.draining).toBe(false);
    await page.close();
  });

  it("charts usage from the ledger, lists the request log, and creates and revokes a key", {
    timeout: 60_000,
  }, async () => {
    const page = await openConsole(1280, 900);
    page.on("dialog", (dialog) => void dialog.accept());
    await page.evaluate(`sessionStorage.setItem("switchyard-admin-token", ${JSON.stringify(TOKEN)})`);
    await page.reload();
    await page.waitForSelector("article.backend");
    await traffic(5);

    await page.click('nav button[data-view="usage"]');
    // The ledger writes in batches (every 250 ms); the view polls every few seconds.
    await page.waitForSelector("#usage-totals tr.usage-row", { timeout: 20_000 });
    const totals = await page.locator("#usage-totals tr.usage-row").first().textContent();
    expect(totals).toMatch(/llama-3\.1-8b/);
    await page.waitForSelector("#request-log tr.logged");
    expect(await page.locator("#request-log tr.logged").count()).toBeGreaterThan(0);
    const charts = (await page.evaluate(MEASURE_CHARTS)) as RenderedChart[];
    const usageChart = charts.find((chart) => chart.label?.startsWith("requests per hour by model"));
    expect(usageChart?.marks).toBeGreaterThan(0);
    if (screenshots) await page.screenshot({ path: `${IMAGES}console-usage.png` });

    await page.click('nav button[data-view="keys"]');
    await page.fill('#new-key input[name="name"]', "team-a");
    await page.fill('#new-key input[name="usd"]', "5");
    await page.click('#new-key button[type="submit"]');
    await page.waitForSelector("#new-secret code.secret-value");
    const secret = (await page.locator("#new-secret code.secret-value").textContent()) ?? "";
    expect(secret.length).toBeGreaterThan(20);
    await page.waitForSelector("#keys tr.key");
    // The key works, and its spend shows against its budget.
    await traffic(2, secret);
    await page.waitForFunction(
      `/\\$0\\.0*[1-9]/.test(document.querySelector("#keys tr.key").textContent)`,
      undefined,
      {
        timeout: 15_000,
      },
    );
    if (screenshots) await page.screenshot({ path: `${IMAGES}console-keys.png` });
    await page.click("#keys tr.key button.revoke");
    await page.waitForFunction(`document.querySelectorAll("#keys tr.key").length === 0`, undefined, {
      timeout: 15_000,
    });
    const revoked = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
      body: JSON.stringify({ model: "llama-3.1-8b", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(revoked.status).toBe(401);
    await page.close();
  });

  it("fits a phone's width", { timeout: 30_000 }, async () => {
    const page = await openConsole(390, 844);
    await page.evaluate(`sessionStorage.setItem("switchyard-admin-token", ${JSON.stringify(TOKEN)})`);
    await page.reload();
    await page.waitForSelector("article.backend");
    const overflow = (await page.evaluate(
      "document.documentElement.scrollWidth - window.innerWidth",
    )) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    const cardWidth = (await page.evaluate(
      `document.querySelector("article.backend").getBoundingClientRect().width`,
    )) as number;
    expect(cardWidth).toBeGreaterThan(300);
    if (screenshots) await page.screenshot({ path: `${IMAGES}console-phone.png`, fullPage: true });
    await page.close();
  });
});
