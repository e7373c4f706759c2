import { configDefaults, defineConfig } from "vitest/config";

const EXCLUDED = [...configDefaults.exclude, "test/agent-clients/**"];
/** What `npm run test:unit` leaves out: whole processes running dist/, and the property suites. */
const SLOW = ["test/e2e/**/*.test.ts", "test/property/**/*.test.ts", "test/state/ipc-process.test.ts"];
/** node-llama-cpp: its native bindings and loaded models outlive a test file. */
const SERVE = ["test/serve/**/*.test.ts"];

export default defineConfig({
  test: {
    // The agent clients' own package holds third-party code with tests of its own; never collect them.
    exclude: EXCLUDED,
    // Whole-process tests spawn servers; two cores cannot run many of them at once.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
    // One migrated embedded ledger database per run, which the tests copy instead of creating their own.
    globalSetup: ["test/helpers/ledger-snapshot-setup.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: [...EXCLUDED, ...SLOW, ...SERVE],
          // Most of these files import the gateway's whole module graph: evaluated once per worker
          // rather than once per file, that was more than half of their time. None leaves global
          // state behind (fake timers and environment changes are undone in their own hooks).
          isolate: false,
        },
      },
      // Each file in a fresh module graph of its own (vitest's default).
      { extends: true, test: { name: "serve", include: SERVE } },
      { extends: true, test: { name: "slow", include: SLOW } },
    ],
  },
});
