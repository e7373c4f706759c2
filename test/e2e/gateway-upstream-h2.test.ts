/**
 * The gateway speaks HTTP/2 to an https backend that offers it: 200 concurrent chat streams
 * through one gateway share two upstream connections (100 streams each), `/status` shows the
 * negotiated protocol, and every stream gets its whole answer. The backend's certificate is made at
 * test time and trusted by the gateway through NODE_EXTRA_CA_CERTS.
 */
import { Pool } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type H2Upstream, startH2Upstream } from "../../bench/h2-upstream.js";
import { selfSignedCertificate, writeCaFile } from "../../bench/tls-cert.js";
import { type CliProcess, startCli, stopAll } from "../helpers/cli-process.js";
import { eventually, getJson } from "../helpers/http.js";

const STREAMS = 200;

let upstream: H2Upstream;
let ca: { path: string; remove(): void };
let gateway: CliProcess;
let client: Pool;

beforeAll(async () => {
  const certificate = selfSignedCertificate();
  ca = writeCaFile(certificate);
  upstream = await startH2Upstream({ certificate, model: "h2-model", hold: true, tokens: 3 });
  gateway = await startCli(
    [
      "gateway",
      "--port",
      "0",
      "--log-level",
      "error",
      "--health-interval",
      "0",
      "--load-interval",
      "0",
      "--backend",
      `hosted=${upstream.url}`,
    ],
    { env: { NODE_EXTRA_CA_CERTS: ca.path } },
  );
  client = new Pool(gateway.ready[0]!.url, { connections: STREAMS });
});

afterAll(async () => {
  await client?.destroy();
  await stopAll();
  await upstream?.close();
  ca?.remove();
});

interface Status {
  backends: { name: string; upstream: { connected: number; running: number; protocol?: string } }[];
}

async function stream(): Promise<string> {
  const response = await client.request({
    method: "POST",
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "h2-model", stream: true, messages: [{ role: "user", content: "hi" }] }),
  });
  const text = await response.body.text();
  return `${response.statusCode} ${text}`;
}

describe("HTTP/2 to an https upstream", () => {
  it(`carries ${STREAMS} concurrent streams over two connections`, async () => {
    const answers = Array.from({ length: STREAMS }, () => stream());
    // Every stream is open upstream at once: the backend holds them after their first chunk.
    await eventually(() => upstream.started() === STREAMS, 30_000, 20);
    const status = await getJson<Status>(`${gateway.ready[0]!.url}/status`);
    const figures = status.body.backends[0]!.upstream;
    expect(figures.protocol).toBe("h2");
    expect(figures.running).toBe(STREAMS);
    expect(figures.connected).toBe(2);
    expect(upstream.peakStreams()).toBeGreaterThanOrEqual(STREAMS);
    upstream.release();
    for (const answer of await Promise.all(answers)) {
      expect(answer.startsWith("200 ")).toBe(true);
      expect(answer).toContain("three");
      expect(answer.trimEnd().endsWith("data: [DONE]")).toBe(true);
    }
    // The model list, the learning handshake and two stream connections: the first two are one.
    expect(upstream.connections()).toBeLessThanOrEqual(3);
  });
});
