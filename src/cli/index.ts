#!/usr/bin/env node
import { buildProgram } from "./program.js";

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // One line, no stack: start-up errors (bad config, port in use) are the user's to fix.
  console.error(`switchyard: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
