/**
 * Where a run happened, for report.json: switchyard's and Node's versions and the machine (CPU model
 * and count, memory, OS), so two reports can be told apart before they are compared.
 * @module
 */
import { readFileSync } from "node:fs";
import { arch, cpus, hostname, platform, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchEnvironment } from "./report-types.js";

/** switchyard's version from its package.json (found upwards from this file, in src/ or dist/). */
export function switchyardVersion(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    try {
      const manifest = JSON.parse(readFileSync(join(directory, "package.json"), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === "switchyard" && typeof manifest.version === "string") return manifest.version;
    } catch {
      // No package.json here: keep walking up.
    }
    directory = dirname(directory);
  }
  return "unknown";
}

export function benchEnvironment(): BenchEnvironment {
  const processors = cpus();
  return {
    switchyard: switchyardVersion(),
    node: process.version,
    platform: platform(),
    arch: arch(),
    osRelease: release(),
    cpuModel: processors[0]?.model.trim() ?? "unknown",
    cpuCount: processors.length,
    memoryBytes: totalmem(),
    hostname: hostname(),
  };
}
