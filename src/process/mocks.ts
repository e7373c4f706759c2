/**
 * Launches N mock backends as child processes, on consecutive ports from a base (or free ports
 * when the base is 0), and waits until each has printed its READY line.
 * @module
 */
import { type ChildServer, spawnServer } from "./spawn-server.js";

export interface MockClusterOptions {
  count: number;
  host: string;
  /** Port of the first mock; 0 lets each pick a free port. */
  basePort: number;
  echo: boolean;
  /** Extra `switchyard mock` flags given to every mock (models, delays, faults). */
  mockArgs?: readonly string[];
}

export function mockId(index: number): string {
  return `mock-${index + 1}`;
}

export async function launchMocks(options: MockClusterOptions): Promise<ChildServer[]> {
  const launches = Array.from({ length: options.count }, (_, index) =>
    spawnServer(
      [
        "mock",
        "--host",
        options.host,
        "--port",
        String(options.basePort === 0 ? 0 : options.basePort + index),
        "--id",
        mockId(index),
        ...(options.mockArgs ?? []),
      ],
      { echo: options.echo, label: mockId(index) },
    ),
  );
  const results = await Promise.allSettled(launches);
  const started = results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const failed = results.find((result) => result.status === "rejected");
  if (failed) {
    await Promise.all(started.map((server) => server.stop()));
    throw failed.reason;
  }
  return started;
}
