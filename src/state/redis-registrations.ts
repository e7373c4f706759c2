/**
 * Registrations of the Redis store: one hash (id → JSON) plus an event per change, and the rule
 * that makes them survive a Redis restart — the process that put a registration owns it and puts
 * it again after every reconnection, until it deletes it or another replica overwrites or
 * deletes it (whoever wrote last owns it, so nobody resurrects an old version).
 * @module
 */
import type { RegistrationEvent } from "./events.js";
import type { MemoryStore } from "./memory.js";
import { attempt, type ReplayQueue } from "./redis-fallback.js";
import type { RedisKeys } from "./redis-keys.js";
import { type RedisLink, RedisReplyError } from "./redis-link.js";
import { encodeMessage } from "./redis-messages.js";
import { hashEntries, parseJson } from "./redis-replies.js";
import { DELETE_REGISTRATION, PUT_REGISTRATION } from "./redis-scripts.js";

export interface RedisRegistrationsOptions {
  link: RedisLink;
  keys: RedisKeys;
  local: MemoryStore;
  replay: ReplayQueue;
  origin: string;
  onError: (error: unknown) => void;
}

export class RedisRegistrations {
  readonly #link: RedisLink;
  readonly #keys: RedisKeys;
  readonly #local: MemoryStore;
  readonly #replay: ReplayQueue;
  readonly #origin: string;
  readonly #onError: (error: unknown) => void;
  /** What this process owns, as JSON. */
  readonly #owned = new Map<string, string>();

  constructor(options: RedisRegistrationsOptions) {
    this.#link = options.link;
    this.#keys = options.keys;
    this.#local = options.local;
    this.#replay = options.replay;
    this.#origin = options.origin;
    this.#onError = options.onError;
  }

  async put(id: string, record: unknown): Promise<void> {
    const json = JSON.stringify(record) ?? "null";
    this.#owned.set(id, json);
    // No replay for a put: what this process owns is put again after every reconnection anyway.
    this.#replay.forget(this.#replayKey(id));
    await this.#local.putRegistration(id, JSON.parse(json));
    if (!this.#link.online) return;
    await this.#putRemote(id, json).catch((error: unknown) => {
      if (error instanceof RedisReplyError) this.#onError(error);
    });
  }

  async delete(id: string): Promise<void> {
    this.#owned.delete(id);
    await this.#local.deleteRegistration(id);
    const message = encodeMessage(this.#origin, { type: "delete", id });
    await this.#replay.write(this.#replayKey(id), () =>
      this.#link.script(DELETE_REGISTRATION, [this.#keys.registrations], [id, this.#keys.channel, message]),
    );
  }

  all(): Promise<Map<string, unknown>> {
    return attempt(
      this.#link,
      async () => {
        const records = new Map<string, unknown>();
        for (const [id, json] of await this.#readRemote()) {
          const parsed = parseJson(json);
          if (parsed.ok) records.set(id, parsed.value);
        }
        return records;
      },
      () => this.#local.registrations(),
      this.#onError,
    );
  }

  /** Another replica's change: into the local view (which announces it), and out of our hands. */
  heard(event: RegistrationEvent): void {
    this.#owned.delete(event.id);
    this.#replay.forget(this.#replayKey(event.id));
    if (event.type === "put") void this.#local.putRegistration(event.id, event.record);
    else void this.#local.deleteRegistration(event.id);
  }

  /** Puts every owned registration again (announcing each): Redis may have lost them. */
  async republish(): Promise<void> {
    await Promise.all([...this.#owned].map(([id, json]) => this.#putRemote(id, json)));
  }

  /**
   * Brings the local view in line with Redis, announcing the differences. After data loss the
   * ones missing from Redis are kept: their owners are putting them back right now, and dropping
   * them meanwhile would make backends flap.
   */
  async pull(dataLost: boolean): Promise<void> {
    const remote = new Map(await this.#readRemote());
    const local = await this.#local.registrations();
    for (const [id, json] of remote) {
      const parsed = parseJson(json);
      if (!parsed.ok) continue;
      if (!local.has(id) || JSON.stringify(local.get(id)) !== JSON.stringify(parsed.value)) {
        await this.#local.putRegistration(id, parsed.value);
      }
    }
    if (dataLost) return;
    for (const id of local.keys()) if (!remote.has(id)) await this.#local.deleteRegistration(id);
  }

  async #readRemote(): Promise<[string, string][]> {
    return hashEntries(await this.#link.command<unknown>(["HGETALL", this.#keys.registrations]));
  }

  #putRemote(id: string, json: string): Promise<unknown> {
    // Built by hand around `json`, which is JSON already: no parse and re-serialise.
    const message = `{"origin":${JSON.stringify(this.#origin)},"event":{"type":"put","id":${JSON.stringify(id)},"record":${json}}}`;
    return this.#link.script(
      PUT_REGISTRATION,
      [this.#keys.registrations],
      [id, json, this.#keys.channel, message],
    );
  }

  #replayKey(id: string): string {
    return `registration:${id}`;
  }
}
