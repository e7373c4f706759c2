/**
 * `loadGatewayConfig` on hostile input (issue 10, "Hostile input"): arbitrary environment maps,
 * flag values, `--backend` specs and config files (JSON, YAML, the two-model router's format, bytes).
 * It either returns a configuration or throws a `ConfigError` naming the problem — never a
 * TypeError or a YAML/zod error of its own — and a configuration it accepts builds a gateway.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it, vi } from "vitest";
import { stringify as toYaml } from "yaml";
import { ConfigError, type ConfigSources, loadGatewayConfig } from "../../src/config/load.js";
import { GATEWAY_SETTINGS, type GatewaySettingKey, gatewayConfigSchema } from "../../src/config/schema.js";
import { buildGateway } from "../../src/gateway/app.js";
import { createLogger } from "../../src/gateway/logger.js";
import {
  anyString,
  arrayText,
  boolText,
  countText,
  fieldValue,
  hostileJson,
  type JsonText,
  json,
  jsonText,
  mutatedFrom,
  numberText,
  objectWith,
  ratioText,
  stringText,
} from "./arbitraries.js";
import { runs, timeoutFor } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "switchyard-fuzz-config-"));
// The yaml parser reports unresolved tags and odd keys through process warnings: thousands of lines.
const quiet = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
afterAll(() => {
  quiet.mockRestore();
  rmSync(dir, { recursive: true, force: true });
});
let files = 0;

/**
 * Arrays of a few items only: the yaml parser slows down badly (tens of seconds) on large malformed
 * documents, which says nothing about the gateway (an operator's file, read once per start or reload).
 */
const fewOf = (item: fc.Arbitrary<JsonText>, maxLength: number) =>
  fc.array(item, { maxLength }).map(arrayText);

const choose = (...values: unknown[]): fc.Arbitrary<JsonText> => fc.constantFrom(...values.map(json));

const SETTING_KEYS = GATEWAY_SETTINGS.map((setting) => setting.key);
const SCHEMA_KEYS = Object.keys(gatewayConfigSchema.shape);
const SETTING_ENV = GATEWAY_SETTINGS.flatMap((setting) => setting.env);
const OTHER_ENV = [
  "SWITCHYARD_BACKENDS",
  "OPENAI_API_KEYS",
  "OPENAI_API_KEY",
  "ANTHROPIC_API_KEYS",
  "ANTHROPIC_API_KEY",
  "SERVICE_ENDPOINTS",
];

/** Text as it could sit in an environment variable or a flag. */
const envText: fc.Arbitrary<string> = fc.oneof(
  anyString,
  fc.constantFrom(
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e400",
    "NaN",
    "Infinity",
    "0x10",
    "true",
    "yes",
    "off",
    "maybe",
    "a,b;c",
    ",,;",
    "a=1,b=x",
    "=",
    "a=",
    "=b",
    "__proto__=1",
    "constructor=round_robin",
    "{",
    "{}",
    '{"a":"b"}',
    '{"__proto__":{"x":1}}',
    "[]",
    "null",
    "http://127.0.0.1:1",
    "name=http://127.0.0.1:1, http://127.0.0.1:2",
    "a=b=c",
    "http://",
    "ftp://x",
    '{"openai":["http://127.0.0.1:1"]}',
    '{"openai":"http://127.0.0.1:1"}',
    '{"bogus":[]}',
    '{"anthropic":[1]}',
    "round_robin",
    "ROUND_ROBIN",
    "least-loaded",
    "P2C",
    "silent",
    "SILENT",
    "loud",
    "8000-8010,11434",
    "9-1",
    "65536",
    "sk-1,sk-2",
    '"sk-1"',
  ),
  jsonText([], 2),
);

const envArb: fc.Arbitrary<Record<string, string | undefined>> = fc.dictionary(
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...SETTING_ENV) },
    { weight: 2, arbitrary: fc.constantFrom(...OTHER_ENV) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  ),
  fc.oneof({ weight: 9, arbitrary: envText }, { weight: 1, arbitrary: fc.constant(undefined) }),
  { maxKeys: 8 },
);

const flagsArb: fc.Arbitrary<Partial<Record<GatewaySettingKey, unknown>>> = fc.dictionary(
  fc.constantFrom(...SETTING_KEYS),
  fc.oneof(envText, hostileJson(["a", "url"], 2), fc.constant(undefined)),
  { maxKeys: 5 },
);

const backendSpecsArb = fc.array(
  fc.oneof(
    fc.constantFrom(
      "http://127.0.0.1:1",
      "a=http://127.0.0.1:1",
      "a=http://127.0.0.1:2",
      "=http://x",
      "a=",
      "a=b=c",
      "http://[::1]:1",
      "https://user:pw@127.0.0.1:1/v1",
      "not a url",
      "",
    ),
    anyString,
  ),
  { maxLength: 4 },
);

// ---- Config files ----------------------------------------------------------------------------------

const backendText = objectWith({
  name: fieldValue(fc.oneof(choose("a", "b", ""), stringText)),
  url: fieldValue(choose("http://127.0.0.1:1", "https://127.0.0.1:2/v1", "http://", "ftp://x", "a b")),
  kind: fieldValue(choose("openai", "anthropic", "vllm")),
  models: fieldValue(fewOf(fc.oneof(choose("m", ""), stringText), 3)),
  model_type: fieldValue(choose("generic", "qwen3", "")),
  weight: fieldValue(fc.oneof(ratioText, countText)),
  max_connections: countText,
  health_path: fieldValue(choose("", "/health", "health")),
  api_keys: fieldValue(fewOf(stringText, 3)),
  model_patterns: fieldValue(fewOf(choose("gpt-*", "*", ""), 3)),
  separate_reasoning: boolText,
  start_command: fieldValue(stringText),
});

/** A native config object: every schema key, each right or wrong, plus unknown and prototype keys. */
const nativeConfigText: fc.Arbitrary<JsonText> = objectWith(
  Object.fromEntries([
    ...SCHEMA_KEYS.map((key): [string, fc.Arbitrary<JsonText>] => [
      key,
      fc.oneof(numberText, countText, stringText, boolText, envText.map(json), jsonText([], 2)),
    ]),
    ["backends", fieldValue(fewOf(backendText, 3))],
    [
      "model_strategies",
      fieldValue(fc.oneof(choose({ m: "sticky" }, { m: "nonsense" }, "m=p2c"), jsonText([], 1))),
    ],
    ["aliases", fieldValue(fc.constantFrom('{"a":"m"}', '{"a":""}', '"a=m,b"', '{"__proto__":"x"}'))],
  ]),
);

/** Seed 003's router format, fields right or wrong. */
const seedRouterText: fc.Arbitrary<JsonText> = objectWith({
  models: fieldValue(
    fc
      .array(
        fc.tuple(
          fc.oneof(choose("m1", "m2", ""), stringText).map((key) => JSON.parse(key) as string),
          objectWith({
            endpoint: fieldValue(
              objectWith({
                host: fieldValue(choose("127.0.0.1", "::1", "", "a/b", "a b", "[::1]")),
                port: fieldValue(fc.oneof(countText, choose(0, 65_536, "8000", "x"))),
                health_check_path: fieldValue(choose("/health", "health", "")),
                scheme: fieldValue(choose("http", "https", "ftp")),
              }),
            ),
            start_command: fieldValue(stringText),
          }),
        ),
        { maxLength: 3 },
      )
      .map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(",")}}`),
  ),
  port: fieldValue(countText),
});

const YAML_SNIPPETS = [
  "",
  "---\n",
  "port: .nan\n",
  "port: .inf\n",
  "port: 0x1F90\n",
  "port: 8_080\n",
  "host: !!binary aGVsbG8=\n",
  "backends: !!set {a, b}\n",
  "backends: !!omap [a: 1]\n",
  "health_interval: 2001-12-14\n",
  "a: &a [*a]\n",
  "a: &a {b: 1}\nbackends: [*a, *a]\n",
  "base: &b {url: 'http://127.0.0.1:1'}\nbackends: [{<<: *b, name: x}]\n",
  "port: 1\nport: 2\n",
  "__proto__: {port: 1}\n",
  "constructor: {prototype: {x: 1}}\n",
  "? [a, b]\n: c\n",
  "x: !!js/function 'function(){}'\n",
  "backends:\n  - url: http://127.0.0.1:1\n    models: [m]\n  - url: http://127.0.0.1:1\n    models: [m]\n",
  "x: !custom tag\n",
  "- a\n- b\n",
  "just a string\n",
  "{{{{",
  "\t\ttabs: 1\n",
  "models:\n  m:\n    endpoint: {host: 127.0.0.1, port: 1}\n  n:\n    endpoint: 5\n",
  `lol: &a ["x","x","x","x","x","x","x","x"]\nlol2: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nlol3: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nlol4: &d [*c,*c,*c,*c,*c,*c,*c,*c]\nlol5: [*d,*d,*d,*d,*d,*d,*d,*d]\n`,
] as const;

interface ConfigFile {
  ext: string;
  content: string | Buffer;
}

const configFileArb: fc.Arbitrary<ConfigFile> = fc.oneof(
  fc.record({
    ext: fc.constantFrom(".json", ".JSON", "", ".conf"),
    content: fc.oneof(nativeConfigText, seedRouterText, jsonText([], 3)),
  }),
  fc.record({
    ext: fc.constantFrom(".yaml", ".yml", ".YML"),
    content: fc.oneof(
      fc.oneof(nativeConfigText, seedRouterText).map((text) => toYaml(JSON.parse(text))),
      fc.constantFrom(...YAML_SNIPPETS),
      fc.tuple(fc.constantFrom(...YAML_SNIPPETS), fc.constantFrom(...YAML_SNIPPETS)).map(([a, b]) => a + b),
    ),
  }),
  fc.record({
    ext: fc.constantFrom(".json", ".yaml"),
    content: fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
      nativeConfigText.chain((text) => fc.nat(text.length).map((at) => text.slice(0, at))),
      nativeConfigText.map((text) => Buffer.from(text, "utf16le")),
    ),
  }),
);

function writeConfigFile(file: ConfigFile): string {
  const path = join(dir, `config-${++files}${file.ext}`);
  writeFileSync(path, file.content);
  return path;
}

/** The file a source names: a written one, or a path that is not a readable file. */
const fileSourceArb: fc.Arbitrary<{ file: ConfigFile } | { path: string } | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 5, arbitrary: configFileArb.map((file) => ({ file })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(join(dir, "missing.json"), dir, "", join(dir, "nested", "x.yaml"))
      .map((path) => ({ path })),
  },
);

/** A configuration that loads and builds, to break one field at a time. */
const VALID_CONFIG = {
  host: "127.0.0.1",
  port: 0,
  strategy: "sticky",
  model_strategies: { m: "p2c" },
  health_interval: 0,
  load_interval: 0,
  max_retries: 1,
  body_limit: 1024,
  max_connections_map: { a: 2, "127.0.0.1:2": 3 },
  aliases: { x: "m" },
  model_sentinels: ["auto"],
  preferred_models: ["m"],
  log_level: "silent",
  scan_hosts: [],
  scan_ports: ["8000-8001"],
  backends: [
    { name: "a", url: "http://127.0.0.1:1", models: ["m"], api_keys: ["k"], model_patterns: ["gpt-*"] },
    { url: "http://127.0.0.1:2/v1", kind: "anthropic", weight: 2, health_path: "" },
  ],
};

// ---- Properties ------------------------------------------------------------------------------------

/** Loads; returns the config or the error, failing the property on anything but a ConfigError. */
function load(sources: ConfigSources) {
  try {
    return { config: loadGatewayConfig(sources) };
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      throw new Error(
        `loadGatewayConfig threw ${(error as Error)?.constructor?.name ?? typeof error} instead of a ConfigError: ${String(
          (error as Error)?.message ?? error,
        )}`,
        { cause: error },
      );
    }
    expect(error.message.length).toBeGreaterThan(0);
    return { error };
  }
}

const silent = createLogger("silent");

describe("loadGatewayConfig on hostile input", () => {
  it(
    "arbitrary environment maps throw only ConfigError",
    () => {
      fc.assert(
        fc.property(envArb, (env) => {
          load({ env });
        }),
        runs(300),
      );
    },
    timeoutFor(10_000),
  );

  it(
    "arbitrary flags, --backend specs and environments together throw only ConfigError",
    () => {
      fc.assert(
        fc.property(envArb, flagsArb, backendSpecsArb, (env, flags, backendSpecs) => {
          load({ env, flags, backendSpecs });
        }),
        runs(300),
      );
    },
    timeoutFor(10_000),
  );

  it(
    "arbitrary config files (JSON, YAML, seed router format, bytes) throw only ConfigError",
    () => {
      fc.assert(
        fc.property(fileSourceArb, envArb, fc.boolean(), (source, env, viaEnv) => {
          const path =
            source === undefined ? undefined : "file" in source ? writeConfigFile(source.file) : source.path;
          if (path !== undefined && viaEnv) load({ env: { ...env, SWITCHYARD_CONFIG: path } });
          else load({ env, file: path });
        }),
        runs(300),
      );
    },
    timeoutFor(10_000),
  );

  it(
    "a configuration it accepts builds a gateway",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            // Mostly valid: a full configuration with one field broken, in a file, plus a variable.
            fc.record({
              mutated: mutatedFrom(fc.constant(VALID_CONFIG)),
              yaml: fc.boolean(),
              env: fc.dictionary(fc.constantFrom(...SETTING_ENV, ...OTHER_ENV), envText, { maxKeys: 1 }),
            }),
            fc.record({ env: envArb, flags: flagsArb, specs: backendSpecsArb }),
          ),
          async (input) => {
            const sources: ConfigSources =
              "mutated" in input
                ? {
                    env: input.env,
                    file: writeConfigFile(
                      input.yaml
                        ? { ext: ".yaml", content: toYaml(input.mutated.body) }
                        : { ext: ".json", content: JSON.stringify(input.mutated.body) },
                    ),
                  }
                : { env: input.env, flags: input.flags, backendSpecs: input.specs };
            const { config } = load(sources);
            if (config === undefined) return;
            const gateway = buildGateway(config, silent);
            await gateway.close();
          },
        ),
        runs(150),
      );
    },
    timeoutFor(15_000),
  );
});

// ---- Bugs found (all fixed; kept as plain tests) ---------------------------------------------------

describe("bugs found", () => {
  // Was a validation gap (fixed): `strategy` and `model_strategies` values are any non-empty strings in the
  // schema, so loadGatewayConfig accepts an unknown strategy and buildGateway then throws a plain
  // Error (`unknown strategy "nonsense"`), not a ConfigError naming the field. The CLI still prints it
  // as one line; a programmatic caller or a reload sees a non-ConfigError. Input: flags {strategy: "nonsense"}
  // (also env ROUTING_STRATEGY=nonsense, or model_strategies {m: "nonsense"}).
  it("an unknown strategy name is refused by loadGatewayConfig with a ConfigError", () => {
    expect(() => loadGatewayConfig({ env: {}, flags: { strategy: "nonsense" } })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ env: { ROUTING_STRATEGY: "constructor" } })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ env: {}, flags: { model_strategies: "m=nonsense" } })).toThrow(
      /unknown strategy "nonsense"/,
    );
  });

  // Was a validation gap (fixed: durations are capped at a week and kept to whole ms): durations were `z.coerce.number().nonnegative()` with no upper bound and no
  // granularity, but client_timeout becomes Node's requestTimeout/headersTimeout in milliseconds:
  // a value of a few weeks or more (2147483 s here; SWITCHYARD_CLIENT_TIMEOUT=1e7 too) makes
  // buildGateway throw RangeError [ERR_OUT_OF_RANGE] ("headersTimeout … must be <= requestTimeout"),
  // and a sub-millisecond fraction (1.0001) throws FastifyError FST_ERR_INIT_OPTS_INVALID ("must be
  // integer"). The other durations do not fail at build, but above 2^31-1 ms Node's timers fire
  // after 1 ms instead (e.g. health_interval: 1e7 would probe continuously).
  // Input: flags {client_timeout: 2147483} or {client_timeout: 1.0001}.
  it("a client_timeout that loadGatewayConfig accepts builds a gateway", async () => {
    for (const client_timeout of [2_147_483, 1.0001, 1.001, 0.0001, 604_800]) {
      let config: ReturnType<typeof loadGatewayConfig>;
      try {
        config = loadGatewayConfig({ env: {}, flags: { client_timeout } });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        continue;
      }
      const gateway = buildGateway(config, silent);
      await gateway.close();
    }
  });
});
