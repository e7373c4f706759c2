/**
 * The web console in a real headless Chromium, against a gateway with two mock backends: the token
 * prompt, the fleet with live figures, a backend killed turning unhealthy on screen, drain from the
 * page, and the routing decisions of requests sent meanwhile. With SWITCHYARD_README_SCREENSHOTS=1
 * it also writes the README's screenshots (laptop and phone widths) into docs/images/.
 */
import { mkdir } from "node:fs/promises";
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

const TOKEN = "console-admin-token";
const IMAGES = fileURLToPath(new URL("../../docs/images/", import.meta.url));
const screenshots = process.env.SWITCHYARD_README_SCREENSHOTS === "1";

describe.runIf(shouldRunBrowserTests())("the console in Chromium", () => {
  let browser: Browser;
  let gateway: Gateway;
  let url: string;
  const mocks: RunningMock[] = [];

  beforeAll(async () => {
    mocks.push(
      await startMock({ host: "127.0.0.1", port: 0, id: "mock-a", models: ["llama-3.1-8b"] }),
      await startMock({ host: "127.0.0.1", port: 0, id: "mock-b", models: ["llama-3.1-8b"] }),
    );
    const config = gatewayConfigSchema.parse({
      host: "127.0.0.1",
      port: 0,
      admin_token: TOKEN,
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
  });

  async function traffic(count: number): Promise<void> {
    await Promise.all(
      Array.from({ length: count }, async () => {
        const response = await fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
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
