/**
 * `switchyard bench --compare A.json B.json [--out DIR]`: reads two reports, prints their figures side
 * by side with ratios, and with `--out` writes compare.html with the charts overlaid.
 * @module
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { asBenchReport, type Comparison, compareReports } from "./report/compare.js";
import { renderComparisonHtml, renderComparisonText } from "./report/compare-output.js";

async function readReport(path: string) {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return asBenchReport(JSON.parse(text), path);
  } catch (error) {
    if (error instanceof SyntaxError) throw new Error(`${path} is not JSON: ${error.message}`);
    throw error;
  }
}

export async function runCompare(
  files: readonly string[],
  outDir: string | undefined,
  stdout: NodeJS.WritableStream,
): Promise<Comparison> {
  if (files.length !== 2) throw new Error(`--compare takes two report.json files, got ${files.length}`);
  const [fileA, fileB] = files as [string, string];
  const comparison = compareReports(await readReport(fileA), await readReport(fileB));
  stdout.write(`${renderComparisonText(comparison, fileA, fileB)}\n`);
  if (outDir) {
    await mkdir(outDir, { recursive: true });
    const html = join(outDir, "compare.html");
    await writeFile(html, renderComparisonHtml(comparison, fileA, fileB));
    stdout.write(`comparison: ${html}\n`);
  }
  return comparison;
}
