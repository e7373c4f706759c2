/**
 * What the mock has seen, for tests to assert on through `GET /mock/stats`: request counts per route, the
 * API keys used (so key rotation can be checked), in-flight inference requests and the last 100 requests.
 * Every update is O(1).
 * @module
 */

export type CountedRoute =
  | "chat"
  | "completions"
  | "embeddings"
  | "messages"
  | "responses"
  | "count_tokens"
  | "tokenize"
  | "models";

export interface RecentRequest {
  route: CountedRoute;
  model: string | null;
  stream: boolean;
  key: string | null;
  /** Epoch milliseconds of arrival. */
  at: number;
}

export interface StatsSnapshot {
  id: string;
  version: string;
  requests: Record<CountedRoute | "total" | "failed", number>;
  inflight: number;
  max_inflight_seen: number;
  keys: Record<string, number>;
  recent: RecentRequest[];
}

const RECENT_LIMIT = 100;

function emptyCounts(): Record<CountedRoute | "total" | "failed", number> {
  return {
    total: 0,
    chat: 0,
    completions: 0,
    embeddings: 0,
    messages: 0,
    responses: 0,
    count_tokens: 0,
    tokenize: 0,
    models: 0,
    failed: 0,
  };
}

export class MockStats {
  #counts = emptyCounts();
  #keys = new Map<string, number>();
  #recent: RecentRequest[] = [];
  /** Next slot to overwrite once `#recent` holds RECENT_LIMIT entries. */
  #cursor = 0;
  #inflight = 0;
  #maxInflightSeen = 0;

  get inflight(): number {
    return this.#inflight;
  }

  /** Counts one request on a counted route (every inference route and `/v1/models`), valid or not. */
  record(
    route: CountedRoute,
    model: string | null,
    stream: boolean,
    key: string | null,
    at = Date.now(),
  ): void {
    this.#counts.total++;
    this.#counts[route]++;
    if (key !== null) this.#keys.set(key, (this.#keys.get(key) ?? 0) + 1);
    const entry: RecentRequest = { route, model, stream, key, at };
    if (this.#recent.length < RECENT_LIMIT) {
      this.#recent.push(entry);
    } else {
      this.#recent[this.#cursor] = entry;
      this.#cursor = (this.#cursor + 1) % RECENT_LIMIT;
    }
  }

  /** An inference request got an error status or was dropped on purpose. */
  recordFailure(): void {
    this.#counts.failed++;
  }

  /** Marks one inference request in flight; the returned function ends it and is safe to call twice. */
  begin(): () => void {
    this.#inflight++;
    if (this.#inflight > this.#maxInflightSeen) this.#maxInflightSeen = this.#inflight;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#inflight--;
    };
  }

  /** Clears counts, keys, recent requests and the in-flight high-water mark (in-flight requests stay). */
  reset(): void {
    this.#counts = emptyCounts();
    this.#keys.clear();
    this.#recent = [];
    this.#cursor = 0;
    this.#maxInflightSeen = this.#inflight;
  }

  snapshot(id: string, version: string): StatsSnapshot {
    const recent =
      this.#recent.length < RECENT_LIMIT
        ? [...this.#recent]
        : [...this.#recent.slice(this.#cursor), ...this.#recent.slice(0, this.#cursor)];
    return {
      id,
      version,
      requests: { ...this.#counts },
      inflight: this.#inflight,
      max_inflight_seen: this.#maxInflightSeen,
      keys: Object.fromEntries(this.#keys),
      recent,
    };
  }
}

/** The API key of a request: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function apiKeyOf(headers: Readonly<Record<string, string | string[] | undefined>>): string | null {
  const authorization = headers.authorization;
  if (typeof authorization === "string" && authorization.length > 7) {
    if (authorization.slice(0, 7).toLowerCase() === "bearer ") return authorization.slice(7).trim() || null;
  }
  const apiKey = headers["x-api-key"];
  return typeof apiKey === "string" && apiKey.length > 0 ? apiKey : null;
}
