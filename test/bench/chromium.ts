/**
 * Headless Chromium for the report tests: Debian's `chromium` package driven by playwright-core (no
 * browser download). Absent locally, the tests that need it skip with a message; absent under CI,
 * they fail, because CI is expected to install it (`apt-get install chromium`).
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Whether to run browser tests: yes when Chromium is there or under CI (where its absence must fail). */
export function shouldRunBrowserTests(): boolean {
  const present = existsSync(CHROMIUM_PATH);
  if (!present && !process.env.CI)
    console.warn(
      `skipping headless-Chromium checks: ${CHROMIUM_PATH} is absent (install Debian's chromium package to run them)`,
    );
  return present || Boolean(process.env.CI);
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `${CHROMIUM_PATH} is absent: CI must install Debian's chromium (apt-get install -y chromium)`,
    );
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}

/** What the page's charts hold, measured by the browser's own layout. */
export interface RenderedChart {
  label: string;
  width: number;
  height: number;
  /** Drawn marks (series paths and bars) with a non-empty bounding box. */
  marks: number;
}

/** Evaluated in the page (a string, since the project's TypeScript has no DOM types). */
export const MEASURE_CHARTS = `(() => Array.from(document.querySelectorAll("svg.chart")).map((svg) => {
  const box = svg.getBoundingClientRect();
  const marks = Array.from(svg.querySelectorAll("path.series, rect.bar")).filter((mark) => {
    const b = mark.getBBox();
    return b.width > 0 || b.height > 0;
  });
  return { label: svg.getAttribute("aria-label"), width: box.width, height: box.height, marks: marks.length };
}))()`;
