/**
 * A throw-away self-signed certificate for `localhost` and `127.0.0.1`, made by `openssl` at run
 * time and never written to disk: TLS backends in tests and benches serve it, and clients trust it
 * by passing it as their CA (the gateway through NODE_EXTRA_CA_CERTS).
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificate {
  key: string;
  cert: string;
}

export function selfSignedCertificate(): TestCertificate {
  const pem = execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      "-",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-days",
      "2",
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  );
  return { key: pemBlock(pem, "PRIVATE KEY"), cert: pemBlock(pem, "CERTIFICATE") };
}

function pemBlock(text: string, label: string): string {
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const start = text.indexOf(begin);
  const stop = text.indexOf(end, start);
  if (start === -1 || stop === -1) throw new Error(`openssl gave no ${label}`);
  return `${text.slice(start, stop + end.length)}\n`;
}

/** The certificate as a PEM file in a fresh temp folder, for NODE_EXTRA_CA_CERTS; `remove()` deletes it. */
export function writeCaFile(certificate: TestCertificate): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-ca-"));
  const path = join(dir, "ca.pem");
  writeFileSync(path, certificate.cert);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
