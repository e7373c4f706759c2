/** Gateway replicas sharing one Redis, as the e2e tests of shared state start them. */
import { randomBytes } from "node:crypto";
import { startCli } from "./cli-process.js";

/** A fresh Redis key namespace, so tests sharing one server never see each other's state. */
export const randomNamespace = () => `t${randomBytes(4).toString("hex")}`;

/** A gateway replica on port 0 sharing state through `redisUrl`, in the key namespace `namespace`. */
export function startReplica(
  redisUrl: string,
  namespace: string,
  args: string[],
  env: Record<string, string> = {},
) {
  return startCli(
    [
      "gateway",
      "--port",
      "0",
      "--log-level",
      "error",
      "--redis",
      redisUrl,
      "--redis-namespace",
      namespace,
      ...args,
    ],
    { env },
  );
}
