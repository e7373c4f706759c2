/** Config files over MAX_CONFIG_FILE_BYTES are refused before parsing (the YAML parser is slow on big malformed input). */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  loadGatewayConfig,
  MAX_CONFIG_FILE_BYTES,
  readConfigFile,
} from "../../src/config/load.js";

const dir = mkdtempSync(join(tmpdir(), "switchyard-config-size-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file of `bytes` bytes, sparse: nothing is really written. */
function fileOfSize(name: string, bytes: number, start = ""): string {
  const path = join(dir, name);
  writeFileSync(path, start);
  truncateSync(path, bytes);
  return path;
}

function errorOf(run: () => unknown): unknown {
  try {
    run();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe("config file size", () => {
  it("refuses a file over the cap with a ConfigError naming the file and its size, before parsing", () => {
    const bytes = MAX_CONFIG_FILE_BYTES + 1;
    for (const name of ["huge.yaml", "huge.json"]) {
      const path = fileOfSize(name, bytes, "port: [");
      const error = errorOf(() => loadGatewayConfig({ file: path, env: {} }));
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(path);
      // Refused on its size alone: a parser would have complained about the content instead.
      expect((error as Error).message).toContain(`is ${bytes} bytes`);
    }
  });

  it("reads a file right at the cap", () => {
    const path = join(dir, "at-cap.json");
    const json = '{"port": 9000}';
    writeFileSync(path, json + " ".repeat(MAX_CONFIG_FILE_BYTES - json.length));
    expect(readConfigFile(path)).toEqual({ port: 9000 });
  });
});
