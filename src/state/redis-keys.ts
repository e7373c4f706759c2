/**
 * Where the Redis store keeps each piece of state. Every key and the event channel start with
 * `switchyard:` plus an optional namespace, so stores with different namespaces (tests, several
 * gateway fleets) can share one server without seeing each other.
 *
 * | key                           | type   | content                                               |
 * |-------------------------------|--------|-------------------------------------------------------|
 * | `<p>lease:<backendId>`        | zset   | member = lease id, score = expiry (ms, Redis clock)    |
 * | `<p>circuit:<backendId>`      | hash   | `failures`, `openedUntil`, `openMs`                   |
 * | `<p>probe:<backendId>`        | string | when the half-open probe reservation lapses (ms)      |
 * | `<p>health`                   | hash   | backendId → `1` / `0`                                 |
 * | `<p>key:<fingerprint>`        | hash   | `until` (expires with it), `disabled` (reason)        |
 * | `<p>window:<key>`             | hash   | `start` (window start ms), `total`                    |
 * | `<p>registrations`            | hash   | id → record as JSON                                   |
 * | `<p>epoch`                    | string | random marker; a new value means the data was lost    |
 * | `<p>events` (pub/sub channel) | –      | JSON `{ origin, event }`, see redis-messages.ts       |
 *
 * A lease set expires with its last lease, a cooldown and a window with themselves, and a circuit
 * hash is deleted by the success that closes it (closed with no failures = no hash), so a
 * backend or key that goes away leaves little behind.
 * @module
 */

export class RedisKeys {
  readonly prefix: string;
  readonly health: string;
  readonly registrations: string;
  readonly epoch: string;
  readonly channel: string;

  constructor(namespace?: string) {
    this.prefix = namespace ? `switchyard:${namespace}:` : "switchyard:";
    this.health = `${this.prefix}health`;
    this.registrations = `${this.prefix}registrations`;
    this.epoch = `${this.prefix}epoch`;
    this.channel = `${this.prefix}events`;
  }

  lease(backendId: string): string {
    return `${this.prefix}lease:${backendId}`;
  }

  circuit(backendId: string): string {
    return `${this.prefix}circuit:${backendId}`;
  }

  probe(backendId: string): string {
    return `${this.prefix}probe:${backendId}`;
  }

  key(fingerprint: string): string {
    return `${this.prefix}key:${fingerprint}`;
  }

  window(key: string): string {
    return `${this.prefix}window:${key}`;
  }
}
