/**
 * Starts a mock backend in this process: the programmatic API tests, benchmarks and `switchyard mock` use.
 *
 * @example
 *   const mock = await startMock({ port: 0, models: ["m"] });
 *   // … requests to mock.url …
 *   await mock.close();
 * @module
 */
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import { clientUrl } from "../process/ready-line.js";
import { buildMockApp } from "./app.js";
import { defaultMockId, type MockOptionsInput, parseMockOptions } from "./options.js";

export interface RunningMock {
  /** Where clients reach it, e.g. `http://127.0.0.1:41234` (a wildcard bind is reached on loopback). */
  url: string;
  /** The port really bound (useful with `port: 0`). */
  port: number;
  /** The backend id in replies, stats and the READY line. */
  id: string;
  app: FastifyInstance;
  /** Stops listening and ends every open connection, hung requests included. Safe to call twice. */
  close(): Promise<void>;
}

export interface StartControl {
  /** Aborts a start still waiting out `refuseFor`; `startMock` then rejects with an AbortError. */
  signal?: AbortSignal;
}

/**
 * Starts a mock that behaves like a vLLM engine (`switchyard mock --engine-sim`): the entry point for
 * benches and tests of routing. `timeScale` speeds its clock up; `/metrics` has vLLM's names.
 *
 * @example
 *   const engine = await startEngineSim({ port: 0, models: ["m"], timeScale: 20, kvCacheTokens: 50_000 });
 */
export function startEngineSim(
  input: Omit<MockOptionsInput, "engineSim"> = {},
  control: StartControl = {},
): Promise<RunningMock> {
  return startMock({ ...input, engineSim: true }, control);
}

/**
 * Builds the app (the `unavailableFor` clock starts here), waits out `refuseFor` without listening, then
 * listens. Resolves once connections are accepted.
 */
export async function startMock(
  input: MockOptionsInput = {},
  control: StartControl = {},
): Promise<RunningMock> {
  const options = parseMockOptions(input);
  const app = buildMockApp(options);
  try {
    if (options.refuseFor > 0) {
      app.log.info(`refusing connections for ${options.refuseFor} s (--refuse-for)`);
      await sleep(options.refuseFor * 1000, undefined, { signal: control.signal });
    }
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: clientUrl(options.host, port),
    port,
    id: options.id ?? defaultMockId(port),
    app,
    close() {
      closing ??= app.close();
      return closing;
    },
  };
}
