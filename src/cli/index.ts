#!/usr/bin/env node
import { exitWithParent } from "../process/spawn-server.js";
import { programFor } from "./program-for.js";

// A child of `switchyard cluster` (or of the gateway's embedded cluster) dies with its parent.
exitWithParent();

try {
  await (await programFor(process.argv)).parseAsync(process.argv);
} catch (error) {
  // One line, no stack: start-up errors (bad config, port in use) are the user's to fix.
  console.error(`switchyard: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
