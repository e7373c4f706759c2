/**
 * The key that seals reasoning handed to stateless Responses clients (`encrypted_content`). A
 * client may send it back to any replica, worker or restarted process, so the key must be the same
 * wherever the next turn lands: derived from `state_secret` when the operator set one (the same on
 * every replica), else shared by a `--workers` primary with its workers through the environment,
 * else random for this process (a blob from before a restart then opens to nothing and is ignored,
 * which costs the backend the earlier reasoning, never the conversation).
 * @module
 */
import { randomBytes, scryptSync } from "node:crypto";

/** Set by a `--workers` primary for its workers: the hex key they all seal with. */
export const WORKERS_SEAL_KEY_ENV = "SWITCHYARD_WORKERS_REASONING_KEY";

const SALT = "switchyard:reasoning-seal:v1";

export function reasoningSealKey(stateSecret: string | undefined, env = process.env): Buffer {
  if (stateSecret) return scryptSync(stateSecret, SALT, 32);
  const shared = env[WORKERS_SEAL_KEY_ENV];
  if (shared && /^[0-9a-f]{64}$/.test(shared)) return Buffer.from(shared, "hex");
  return randomBytes(32);
}

/** A fresh key for a primary to hand its workers. */
export function newWorkersSealKey(): string {
  return randomBytes(32).toString("hex");
}
