import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Writes a JSON config into a fresh temp folder; `remove()` deletes the folder. */
export function writeTempConfig(config: unknown): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-test-"));
  const path = join(dir, "config.json");
  writeFileSync(path, JSON.stringify(config));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
