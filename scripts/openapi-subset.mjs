#!/usr/bin/env node
/**
 * Cuts the schemas the tests validate against out of OpenAI's published OpenAPI document, so the
 * repository carries a few hundred KiB instead of the 3.4 MB whole. Run it when the roots change or
 * when a newer document is wanted:
 *
 *   node scripts/openapi-subset.mjs path/to/openai-openapi.json > test/fixtures/openai-openapi-subset.json
 *
 * Every schema reachable from the roots through `$ref` is kept unchanged; the document's own `info`
 * (title, version, licence) is kept so the fixture says where it came from.
 */
import { readFileSync } from "node:fs";

const ROOTS = [
  "CreateChatCompletionResponse",
  "CreateChatCompletionStreamResponse",
  "CreateCompletionResponse",
  "CreateEmbeddingResponse",
  "ErrorResponse",
  "ListModelsResponse",
  // The Responses API, for the agent clients that speak only it.
  "CreateResponse",
  "Response",
  "ResponseStreamEvent",
];

const [path] = process.argv.slice(2);
if (!path) {
  process.stderr.write("usage: node scripts/openapi-subset.mjs <openai-openapi.json>\n");
  process.exit(2);
}
const spec = JSON.parse(readFileSync(path, "utf8"));
const all = spec.components.schemas;
const kept = new Set();
const pending = [...ROOTS];
while (pending.length > 0) {
  const name = pending.pop();
  if (kept.has(name)) continue;
  if (!(name in all)) throw new Error(`schema ${name} is not in ${path}`);
  kept.add(name);
  for (const match of JSON.stringify(all[name]).matchAll(/#\/components\/schemas\/([\w.-]+)/g)) {
    pending.push(match[1]);
  }
}
const schemas = Object.fromEntries([...kept].sort().map((name) => [name, all[name]]));
const subset = {
  openapi: spec.openapi,
  info: {
    ...spec.info,
    "x-switchyard-subset": `the ${kept.size} schemas reachable from ${ROOTS.join(", ")}; made by scripts/openapi-subset.mjs from OpenAI's published openapi document (github.com/openai/openai-openapi), version ${spec.info.version}`,
  },
  components: { schemas },
};
process.stdout.write(`${JSON.stringify(subset)}\n`);
