import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseEnvFile, readEnvFile } from "../../src/config/env-file.js";
import { ConfigError } from "../../src/config/errors.js";
import { loadGatewayConfig } from "../../src/config/load.js";

const dir = mkdtempSync(join(tmpdir(), "switchyard-env-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The key-pool proxy's README example, verbatim: an unquoted JSON value over eleven lines. */
const KEY_POOL_EXAMPLE = `# Multiple API Keys (comma-separated)
OPENAI_API_KEYS="sk-key1,sk-key2,sk-key3"
ANTHROPIC_API_KEYS="sk-ant-key1,sk-ant-key2"

# Custom Endpoints (JSON format)
SERVICE_ENDPOINTS={
  "openai": [
    "https://api.openai.com/v1",
    "https://your-proxy-1.com/v1",
    "https://your-proxy-2.com/v1"
  ],
  "anthropic": [
    "https://api.anthropic.com/v1",
    "https://your-anthropic-proxy.com/v1"
  ]
}
`;

describe("parseEnvFile", () => {
  it("reads the key-pool example, multi-line JSON included", () => {
    const variables = parseEnvFile(KEY_POOL_EXAMPLE);
    expect(Object.keys(variables)).toEqual(["OPENAI_API_KEYS", "ANTHROPIC_API_KEYS", "SERVICE_ENDPOINTS"]);
    expect(variables.OPENAI_API_KEYS).toBe("sk-key1,sk-key2,sk-key3");
    expect(variables.ANTHROPIC_API_KEYS).toBe("sk-ant-key1,sk-ant-key2");
    expect(JSON.parse(variables.SERVICE_ENDPOINTS!)).toEqual({
      openai: ["https://api.openai.com/v1", "https://your-proxy-1.com/v1", "https://your-proxy-2.com/v1"],
      anthropic: ["https://api.anthropic.com/v1", "https://your-anthropic-proxy.com/v1"],
    });
  });

  it("reads the single-quoted multi-line form of the same example", () => {
    const variables = parseEnvFile(
      `SERVICE_ENDPOINTS='{\n  "openai": [\n    "https://api.openai.com/v1"\n  ]\n}'\nNEXT=1\n`,
    );
    expect(JSON.parse(variables.SERVICE_ENDPOINTS!)).toEqual({ openai: ["https://api.openai.com/v1"] });
    expect(variables.NEXT).toBe("1");
  });

  it("handles comments, export, spaces, quotes, escapes and inline comments", () => {
    const variables = parseEnvFile(
      [
        "# a comment",
        "   ",
        "export LOG_LEVEL=debug",
        "  SPACED = value with spaces   # trailing comment",
        "HASH=abc#def",
        'DOUBLE="line one\\nline \\"two\\"" # comment',
        "SINGLE='keeps \\n as written'",
        "BACKTICK=`tick`",
        "EMPTY=",
        'EMPTY_QUOTED=""',
        "URL=http://127.0.0.1:8001/v1?x=1",
        "ARRAY=[1, 2,",
        "  3]",
        'BRACES_IN_STRING={"a": "}]"}',
        "LATER=first",
        "LATER=second",
      ].join("\r\n"),
    );
    expect(variables).toEqual({
      LOG_LEVEL: "debug",
      SPACED: "value with spaces",
      HASH: "abc#def",
      DOUBLE: 'line one\nline "two"',
      SINGLE: "keeps \\n as written",
      BACKTICK: "tick",
      EMPTY: "",
      EMPTY_QUOTED: "",
      URL: "http://127.0.0.1:8001/v1?x=1",
      ARRAY: "[1, 2,\n  3]",
      BRACES_IN_STRING: '{"a": "}]"}',
      LATER: "second",
    });
  });

  it("names the line of anything it cannot read", () => {
    expect(() => parseEnvFile("OK=1\nnot an assignment\n")).toThrow(/line 2: expected KEY=value/);
    expect(() => parseEnvFile('A=1\nB="open\n')).toThrow(/line 2: .*B opens a " quote that never closes/);
    expect(() => parseEnvFile('SERVICE_ENDPOINTS={\n  "openai": [\n')).toThrow(
      /line 1: .*SERVICE_ENDPOINTS.*never close/,
    );
    expect(() => parseEnvFile('A="x" y\n')).toThrow(ConfigError);
  });
});

describe("readEnvFile", () => {
  it("reads a file, and treats a missing optional one as empty", () => {
    const path = join(dir, "present.env");
    writeFileSync(path, KEY_POOL_EXAMPLE);
    expect(readEnvFile({ path, optional: false }).OPENAI_API_KEYS).toBe("sk-key1,sk-key2,sk-key3");
    expect(readEnvFile({ path: join(dir, "absent.env"), optional: true })).toEqual({});
    expect(() => readEnvFile({ path: join(dir, "absent.env"), optional: false })).toThrow(
      /cannot read env file .*absent\.env/,
    );
  });

  it("names the file in a parse error", () => {
    const path = join(dir, "broken.env");
    writeFileSync(path, "KEY\n");
    expect(() => readEnvFile({ path, optional: true })).toThrow(/env file .*broken\.env: line 1/);
  });
});

describe(".env.example", () => {
  const example = readFileSync(new URL("../../.env.example", import.meta.url), "utf8");

  it("changes nothing as copied: every line is a comment", () => {
    expect(parseEnvFile(example)).toEqual({});
  });

  it("gives a valid configuration with every variable uncommented", () => {
    const uncommented = example
      .split("\n")
      .map((line) => /^# ([A-Z][A-Z0-9_]*=.*|\s+["{}[\]].*|[}\]].*)$/.exec(line)?.[1] ?? line)
      .join("\n");
    const { SWITCHYARD_CONFIG: _file, ...variables } = parseEnvFile(uncommented);
    expect(Object.keys(variables)).toContain("SERVICE_ENDPOINTS");
    const config = loadGatewayConfig({ env: variables });
    expect(config.backends.map((backend) => backend.name)).toEqual([
      undefined,
      "gemma",
      "openai-1",
      "openai-2",
      "anthropic-1",
    ]);
    expect(config.redis).toBe("redis://localhost:6379");
  });
});
