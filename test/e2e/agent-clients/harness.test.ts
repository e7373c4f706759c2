/** The agent-client harness itself: it fails under CI without the clients, and leaves no process behind. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { baseEnv, INSTALL_HINT, locateAgentClients, runClient } from "../../helpers/agent-clients.js";
import { eventually } from "../../helpers/http.js";
import { isAlive } from "../../helpers/process-tree.js";

describe("locateAgentClients", () => {
  const empty = mkdtempSync(join(tmpdir(), "switchyard-no-clients-"));

  it("throws under CI when the clients are missing, naming the install command", () => {
    expect(() => locateAgentClients(empty, { CI: "true" })).toThrow(INSTALL_HINT);
  });

  it("skips (undefined) outside CI", () => {
    expect(locateAgentClients(empty, {})).toBeUndefined();
    rmSync(empty, { recursive: true, force: true });
  });
});

describe("runClient", () => {
  it("kills the whole process group at the timeout", async () => {
    // The shell prints its background child's pid, then waits forever.
    const run = await runClient("sh", ["-c", "sleep 600 & echo $!; wait"], {
      env: baseEnv(tmpdir()),
      cwd: tmpdir(),
      timeoutMs: 1_000,
    });
    expect(run.timedOut).toBe(true);
    const grandchild = Number(run.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    await eventually(() => !isAlive(grandchild), 5_000);
  });

  it("kills what the client left running after it exited", async () => {
    const run = await runClient("sh", ["-c", "sleep 600 >/dev/null 2>&1 & echo $!"], {
      env: baseEnv(tmpdir()),
      cwd: tmpdir(),
    });
    expect(run.code).toBe(0);
    const leftover = Number(run.stdout.trim());
    await eventually(() => !isAlive(leftover), 5_000);
  });

  it("passes the client no variable of the machine's own but PATH", async () => {
    const run = await runClient("sh", ["-c", "env"], { env: baseEnv(tmpdir()), cwd: tmpdir() });
    const names = run.stdout
      .trim()
      .split("\n")
      .map((line) => line.slice(0, line.indexOf("=")));
    expect(names.filter((name) => /KEY|TOKEN|SECRET/i.test(name))).toEqual([]);
  });
});
