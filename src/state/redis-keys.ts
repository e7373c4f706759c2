/**
 * Where the Redis store keeps each piece of state. Every key and the event channel start with
 * `switchyard:` plus an optional namespace, so stores with different namespaces (tests, several
 * gateway fleets) can share one server without seeing each other.
 *
 * | key                           | type   | content                                               |
 * |-------------------------------|--------|-------------------------------------------------------|
 * | `<p>lease:<backendId>`        | zset   | member = lease id (owner prefix first), score = expiry |
 * | `<p>circuit:<backendId>`      | hash   | `failures`, `openedUntil`, `openMs`                   |
 * | `<p>probe:<backendId>`        | string | when the half-open probe reservation lapses (ms)      |
 * | `<p>health`                   | hash   | backendId → `1` / `0`                                 |
 * | `<p>key:<fingerprint>`        | hash   | `until` (expires with it), `disabled` (reason)        |
 * | `<p>window:<key>`             | hash   | `start` (window start ms), `total`                    |
 * | `<p>registrations`            | hash   | id → record as JSON                                   |
 * | `<p>epoch`                    | string | random marker; a new value means the data was lost    |
 * | `<p>response:<id>`            | string | a stored response as JSON (response-store/redis.ts)   |
 * | `<p>responses`                | zset   | member = response id, score = its expiry (ms)         |
 * | `<p>responses:sizes`          | hash   | response id → bytes of its JSON                       |
 * | `<p>responses:bytes`          | string | the sum of `responses:sizes`                          |
 * | `<p>events` (pub/sub channel) | –      | JSON `{ origin, event }`, see redis-messages.ts       |
 *
 * A lease set expires with its last lease, a cooldown and a window with themselves, and a circuit
 * hash is deleted by the success that closes it (closed with no failures = no hash), so a
 * backend or key that goes away leaves little behind. Stored responses expire with their TTL, and
 * the three `responses` keys with the last of them.
 * @module
 */

export class RedisKeys {
  readonly prefix: string;
  readonly health: string;
  readonly registrations: string;
  readonly epoch: string;
  readonly channel: string;
  readonly responses: string;
  readonly responseSizes: string;
  readonly responseBytes: string;
  /** Followed by a response id: the key of that stored response. */
  readonly responsePrefix: string;

  constructor(namespace?: string) {
    this.prefix = namespace ? `switchyard:${namespace}:` : "switchyard:";
    this.health = `${this.prefix}health`;
    this.registrations = `${this.prefix}registrations`;
    this.epoch = `${this.prefix}epoch`;
    this.channel = `${this.prefix}events`;
    this.responses = `${this.prefix}responses`;
    this.responseSizes = `${this.prefix}responses:sizes`;
    this.responseBytes = `${this.prefix}responses:bytes`;
    this.responsePrefix = `${this.prefix}response:`;
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
