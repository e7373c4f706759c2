/** `--workers` with the embedded ledger would open one PGlite directory in N processes: refused before any fork. */
import { describe, expect, it } from "vitest";
import { runGatewayPrimary } from "../../src/gateway-process/workers.js";

describe("the embedded ledger with --workers", () => {
  it("is refused with a message that names database_url", async () => {
    await expect(
      runGatewayPrimary({ env: {}, flags: { ledger: true, log_level: "silent" } }, 2),
    ).rejects.toThrow(/database_url/);
  });
});
