import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The agent clients' own package holds third-party code with tests of its own; never collect them.
    exclude: [...configDefaults.exclude, "test/agent-clients/**"],
    // Whole-process tests spawn servers; two cores cannot run many of them at once.
    maxWorkers: 2,
    // One migrated embedded ledger database per run, which the tests copy instead of creating their own.
    globalSetup: ["test/helpers/ledger-snapshot-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
