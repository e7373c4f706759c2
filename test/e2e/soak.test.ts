/**
 * The soak in CI-friendly form: `dist/bench/soak.js` for 25 s (3 mock backends, concurrency 16)
 * with its chaos loop killing, hanging and failing backends; and for 20 s with `--redis`: two
 * gateway replicas sharing a private redis-server that the chaos loop restarts. The longer run is
 * `npm run bench:soak -- --minutes N`. Needs `npm run build` first (as `npm test` does).
 *
 * Both run without the hostile actors (frozen backend, huge-body backend, non-reading clients):
 * their large answers raise the gateway's RSS by tens of MB in the first seconds, more than a
 * 25-second run can tell from a leak; `npm run bench:soak` runs them by default.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { redisServerAvailable } from "../helpers/redis-server.js";

const NO_HOSTILE = ["--no-frozen", "--no-huge-body", "--no-non-readers"];

const SOAK = fileURLToPath(new URL("../../dist/bench/soak.js", import.meta.url));
const SECONDS = 25;
const REDIS_SECONDS = 20;

interface Tally {
  sent: number;
  succeeded: number;
  failed: Record<string, number>;
  cut: Record<string, number>;
}

interface SoakResult {
  pass: boolean;
  sent: number;
  json: Tally;
  stream: Tally;
  chaos: { kills: number; hangs: number; fails: number; redisRestarts: number; errors: string[] };
  retried: number;
  rss: {
    startMB: number;
    peakMB: number;
    endMB: number;
    growthMB: number;
    growthAfterWarmupMB: number;
    growthDuringLoadMB: number;
  };
  inflightAtEnd: number;
  replicas: { url: string; state: string; inflight: number; rss: { growthDuringLoadMB: number } }[];
}

function soakResult(stdout: string, stderr: string): SoakResult {
  const line = stdout.split("\n").find((l) => l.startsWith("SOAK_RESULT "));
  expect(line, `no SOAK_RESULT line\n${stdout}\n${stderr}`).toBeDefined();
  return JSON.parse(line!.slice("SOAK_RESULT ".length)) as SoakResult;
}

function runSoak(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SOAK, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-16_384);
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("soak", () => {
  it(
    `serves every non-streaming request for ${SECONDS} s of chaos, with inflight back to 0 and bounded RSS`,
    async () => {
      const { code, stdout, stderr } = await runSoak([
        "--seconds",
        String(SECONDS),
        "--backends",
        "3",
        "--concurrency",
        "16",
        ...NO_HOSTILE,
      ]);
      const result = soakResult(stdout, stderr);
      expect(code, `${stdout}\n${stderr}`).toBe(0);
      expect(result.pass).toBe(true);
      expect(result.sent).toBeGreaterThan(100);
      expect(result.json.sent).toBeGreaterThan(0);
      expect(result.stream.sent).toBeGreaterThan(0);
      expect(result.json.failed).toEqual({});
      expect(result.json.succeeded).toBe(result.json.sent);
      expect(result.chaos.kills + result.chaos.hangs + result.chaos.fails).toBeGreaterThan(0);
      expect(result.chaos.errors).toEqual([]);
      expect(result.inflightAtEnd).toBe(0);
      expect(result.rss.growthDuringLoadMB).toBeLessThan(50);
    },
    (SECONDS + 120) * 1000,
  );

  it.skipIf(!redisServerAvailable())(
    `with --redis: two replicas serve every non-streaming request for ${REDIS_SECONDS} s while Redis restarts, and end back on Redis`,
    async () => {
      const { code, stdout, stderr } = await runSoak([
        "--redis",
        "--seconds",
        String(REDIS_SECONDS),
        ...NO_HOSTILE,
      ]);
      const result = soakResult(stdout, stderr);
      expect(code, `${stdout}\n${stderr}`).toBe(0);
      expect(result.pass).toBe(true);
      expect(result.json.failed).toEqual({});
      expect(result.json.succeeded).toBe(result.json.sent);
      expect(result.chaos.redisRestarts).toBeGreaterThan(0);
      expect(result.chaos.errors).toEqual([]);
      expect(result.replicas).toHaveLength(2);
      for (const replica of result.replicas) {
        expect(replica.state).toBe("redis");
        expect(replica.inflight).toBe(0);
        expect(replica.rss.growthDuringLoadMB).toBeLessThan(50);
      }
    },
    (REDIS_SECONDS + 120) * 1000,
  );
});
