/**
 * The address options every server subcommand declares alike (`mock`, `serve`): where it listens.
 * @module
 */
import { z } from "zod";
import type { OptionSpec } from "./declare.js";

/** `--host`: the interface a server binds, loopback unless told otherwise. */
export const LISTEN_HOST = {
  type: z.string().min(1).default("127.0.0.1"),
  flag: "--host <host>",
  help: "interface to listen on",
} satisfies OptionSpec;

/** `--port`: the port a server listens on, `defaultPort` unless told; 0 picks a free one. */
export function listenPort(defaultPort: number) {
  return {
    type: z.number().int().min(0).max(65535).default(defaultPort),
    flag: "--port <port>",
    help: "port to listen on (0 = any free port)",
  } satisfies OptionSpec;
}
