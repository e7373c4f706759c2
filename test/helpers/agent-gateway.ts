/**
 * The gateway the agent-client tests point the real clients at, in front of one `switchyard mock`.
 * Two shapes of backend: `bridge`, a chat-only OpenAI-kind mock the gateway translates for; and
 * `native`, a mock that also serves `/v1/responses` and `/v1/messages` itself and is declared so
 * (`native_apis`), so the gateway passes those requests through untouched.
 */
import { type CliProcess, startCli } from "./cli-process.js";
import { getJson } from "./http.js";
import { writeTempConfig } from "./temp-config.js";

export type BackendShape = "bridge" | "native";

/** The model names every agent-client test gateway serves. */
export const MODELS = {
  /** A name no client knows: Claude Code treats it as a third-party model. */
  local: "local-coder",
  /** A name Claude Code knows: a gateway alias of the local model, as docs/agent-clients.md suggests. */
  claudeAlias: "claude-sonnet-4-5",
} as const;

export interface AgentGateway {
  /** The gateway's root URL (Anthropic clients append /v1/messages themselves). */
  url: string;
  /** The gateway's OpenAI base URL, `${url}/v1`. */
  openaiBaseUrl: string;
  /** The backend's id, which the mock writes at the head of every answer (`[backend=<id> …]`). */
  backendId: string;
  mock: CliProcess;
  gateway: CliProcess;
  /** Requests the mock has served, by route (`chat`, `responses`, `messages`, …): which path the gateway took. */
  backendRoutes(): Promise<Record<string, number>>;
  /** Removes the config; the processes are stopped by cli-process's `stopAll()`. */
  remove(): void;
}

export async function startAgentGateway(shape: BackendShape): Promise<AgentGateway> {
  const nativeFlags = shape === "native" ? ["--native-apis", "responses,messages"] : [];
  const mock = await startCli([
    "mock",
    "--port",
    "0",
    "--id",
    shape,
    "--models",
    MODELS.local,
    ...nativeFlags,
  ]);
  const config = writeTempConfig({
    backends: [
      {
        name: shape,
        url: mock.ready[0]!.url,
        models: [MODELS.local],
        kind: "openai",
        ...(shape === "native" ? { native_apis: ["responses", "messages"] } : {}),
      },
    ],
    aliases: { [MODELS.claudeAlias]: MODELS.local },
  });
  const gateway = await startCli(["gateway", "--port", "0", "--config", config.path, "--log-level", "error"]);
  const url = gateway.ready[0]!.url;
  const backendRoutes = async () => {
    const stats = await getJson<{ requests: Record<string, number> }>(`${mock.ready[0]!.url}/mock/stats`);
    return stats.body.requests;
  };
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    backendId: shape,
    mock,
    gateway,
    backendRoutes,
    remove: config.remove,
  };
}

/** The start of every answer the backend's mock writes. */
export function answerPrefix(gateway: AgentGateway): string {
  return `[backend=${gateway.backendId} version=0]`;
}
