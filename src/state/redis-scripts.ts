/**
 * The Lua scripts of the Redis store. Each state change that must be atomic across replicas is
 * one script, so it costs one round trip and no other client can interleave. Scripts read the
 * clock with `TIME`, so every replica measures expiry and windows on the Redis server's clock
 * and skew between gateway hosts does not matter. Scripts that change announced state publish
 * the event themselves: the change and its announcement cannot be separated.
 *
 * Every script takes one ARGV more than it lists, the last: empty for the server's clock, or the
 * epoch ms of a clock the store was given (tests drive time that way instead of sleeping). So
 * that such a clock is followed everywhere, expiry is decided by comparing stored times with
 * `now`; Redis's own key expiry, set relative to `now`, only removes what is over by then (on
 * the server's clock that is the same moment).
 *
 * Script replies are integers or arrays of integers (Lua numbers become Redis integers).
 * @module
 */
import { createHash } from "node:crypto";

export interface Script {
  readonly name: string;
  readonly source: string;
  /** SHA1 of `source`, for EVALSHA. */
  readonly sha: string;
}

/** A script with the `now` prelude below; the response store's scripts are made with it too. */
export function script(name: string, body: string): Script {
  const source = `${NOW}\n${body.trim()}\n`;
  return { name, source, sha: createHash("sha1").update(source).digest("hex") };
}

/** Every script starts with `now` in epoch ms: the given clock's, else the server's. */
const NOW = `
local now = tonumber(ARGV[#ARGV])
if not now then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
end`.trim();

/**
 * Keeps a lease set alive at least as long as the lease just given the TTL in ARGV[ttlArg], so
 * the set outlives every lease in it. The expiry is pushed to twice that TTL, and only when less
 * than one TTL is left: most calls cost one PTTL instead of a ZRANGE and a PEXPIREAT. An abandoned
 * set lingers at most two TTLs; its expired members never count.
 */
function expireAfterLease(ttlArg: number): string {
  return `
local keep = tonumber(ARGV[${ttlArg}])
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], 2 * keep) end`;
}

/**
 * KEYS: lease set. ARGV: lease id, max (0 = no cap), ttl ms. Returns the unexpired leases with
 * the new one (taken), or 0 (full).
 */
export const ACQUIRE = script(
  "acquire",
  `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local max = tonumber(ARGV[2])
local count = redis.call('ZCARD', KEYS[1])
if max > 0 and count >= max then return 0 end
count = count + redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
${expireAfterLease(3)}
return count`,
);

/** KEYS: lease set. ARGV: lease id, ttl ms. Returns 1, or 0 when the lease is gone or expired. */
export const RENEW = script(
  "renew",
  `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) <= now then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
${expireAfterLease(2)}
return 1`,
);

/**
 * KEYS: lease set. ARGV: lease id, remaining ms. Puts back a lease this replica holds after
 * Redis lost it or never saw it (taken during an outage), cap or no cap: the request is running.
 */
export const ADOPT = script(
  "adopt",
  `
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
${expireAfterLease(2)}
return 1`,
);

/**
 * KEYS: lease set. ARGV: the owner's lease-id prefix, then pairs of lease id and remaining ms.
 * Rewrites one replica's part of a lease set after a reconnection: puts back each listed lease
 * (cap or no cap: the request is running) and drops every other lease with the owner's prefix,
 * which Redis kept (a snapshot, a write that landed late) though its request is over. Other
 * replicas' leases are theirs to rewrite. Returns the number dropped.
 */
export const REASSERT = script(
  "reassert",
  `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local prefix = ARGV[1]
local live = {}
local longest = 0
for i = 2, #ARGV - 2, 2 do
  local remaining = tonumber(ARGV[i + 1])
  live[ARGV[i]] = true
  redis.call('ZADD', KEYS[1], now + remaining, ARGV[i])
  if remaining > longest then longest = remaining end
end
local dropped = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(member, 1, #prefix) == prefix and not live[member] then
    redis.call('ZREM', KEYS[1], member)
    dropped = dropped + 1
  end
end
if longest > 0 and redis.call('PTTL', KEYS[1]) < longest then redis.call('PEXPIRE', KEYS[1], 2 * longest) end
return dropped`,
);

/** KEYS: lease set. Returns the number of unexpired leases. */
export const INFLIGHT = script(
  "inflight",
  `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])`,
);

/** Appends the snapshot to a message prefix made by the client and publishes it. */
const PUBLISH_CIRCUIT = `
local function publishCircuit(channel, prefix, failures, openedUntil)
  local state = 'half_open'
  if openedUntil <= 0 then state = 'closed' elseif now < openedUntil then state = 'open' end
  redis.call('PUBLISH', channel, prefix .. '{"state":"' .. state .. '","consecutiveFailures":'
    .. string.format('%d', failures) .. ',"openedUntil":' .. string.format('%d', openedUntil) .. '}}}')
end`;

/**
 * KEYS: circuit hash, probe key. ARGV: threshold, open ms, channel, message prefix.
 * Same rules as circuit-snapshot.ts. Every failure is announced (failures are rare next to
 * successes), so every replica knows the count and can skip announcing a success that
 * changes nothing. Returns {failures, openedUntil, now}.
 */
export const RECORD_FAILURE = script(
  "record-failure",
  `
${PUBLISH_CIRCUIT}
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local openedUntil = tonumber(redis.call('HGET', KEYS[1], 'openedUntil') or '0')
local threshold = tonumber(ARGV[1])
local openMs = tonumber(ARGV[2])
local nextUntil = openedUntil
if openedUntil > 0 and now >= openedUntil then
  nextUntil = now + openMs
elseif openedUntil <= 0 and threshold > 0 and failures >= threshold then
  nextUntil = now + openMs
end
redis.call('HSET', KEYS[1], 'openMs', openMs)
if nextUntil ~= openedUntil then
  redis.call('HSET', KEYS[1], 'openedUntil', nextUntil)
  redis.call('DEL', KEYS[2])
end
publishCircuit(ARGV[3], ARGV[4], failures, nextUntil)
return {failures, nextUntil, now}`,
);

/**
 * KEYS: circuit hash, probe key. ARGV: channel, message prefix. A closed circuit with no failures
 * is the same as no hash at all, so success deletes it. Returns 1 when that changed something.
 */
export const RECORD_SUCCESS = script(
  "record-success",
  `
${PUBLISH_CIRCUIT}
redis.call('DEL', KEYS[2])
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
publishCircuit(ARGV[1], ARGV[2], 0, 0)
return 1`,
);

/** KEYS: circuit hash. Returns {failures, openedUntil, now}. */
export const CIRCUIT = script(
  "circuit",
  `
local fields = redis.call('HMGET', KEYS[1], 'failures', 'openedUntil')
return {tonumber(fields[1] or '0'), tonumber(fields[2] or '0'), now}`,
);

/**
 * KEYS: circuit hash, probe key. The probe key holds when the reservation lapses; every
 * reopening and every success deletes it, so there is one reservation per half-open period; it
 * lapses after the circuit's open time in case its holder never reports. Returns 1 or 0.
 */
export const TRY_PROBE = script(
  "try-probe",
  `
local fields = redis.call('HMGET', KEYS[1], 'openedUntil', 'openMs')
local openedUntil = tonumber(fields[1] or '0')
if openedUntil <= 0 or now < openedUntil then return 0 end
local held = redis.call('GET', KEYS[2])
-- A reservation without a time (made by an older version) holds until Redis expires it.
if held and (tonumber(held) or math.huge) > now then return 0 end
local lapse = tonumber(fields[2] or '0')
if lapse <= 0 then lapse = 10000 end
redis.call('SET', KEYS[2], string.format('%d', now + lapse), 'PX', lapse)
return 1`,
);

/** KEYS: health hash. ARGV: backend id, '1' | '0', channel, message. Returns 1 when it changed. */
export const SET_HEALTH = script(
  "set-health",
  `
local previous = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if previous == ARGV[2] then return 0 end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`,
);

/** Publishes a key's state: the client's prefix, then the state object and the closing braces. */
const PUBLISH_KEY = `
local function publishKey(channel, prefix, untilMs, reason)
  if untilMs <= now then untilMs = 0 end
  local state = '{"coolingDownUntil":' .. string.format('%d', untilMs)
  if reason then state = state .. ',"disabledReason":' .. cjson.encode(reason) end
  redis.call('PUBLISH', channel, prefix .. state .. '}}}')
end`;

/**
 * KEYS: key hash. ARGV: until ms, channel, message prefix. Only ever extends the cooldown; a key
 * that is merely cooling down expires with its cooldown. Returns 1 when it changed.
 */
export const COOL_DOWN_KEY = script(
  "cool-down-key",
  `
${PUBLISH_KEY}
local fields = redis.call('HMGET', KEYS[1], 'until', 'disabled')
local untilMs = tonumber(ARGV[1])
if tonumber(fields[1] or '0') >= untilMs then return 0 end
redis.call('HSET', KEYS[1], 'until', untilMs)
if not fields[2] then redis.call('PEXPIRE', KEYS[1], untilMs - now) end
publishKey(ARGV[2], ARGV[3], untilMs, fields[2])
return 1`,
);

/** KEYS: key hash. ARGV: reason, channel, message prefix. A disabled key never expires. */
export const DISABLE_KEY = script(
  "disable-key",
  `
${PUBLISH_KEY}
redis.call('HSET', KEYS[1], 'disabled', ARGV[1])
redis.call('PERSIST', KEYS[1])
publishKey(ARGV[2], ARGV[3], tonumber(redis.call('HGET', KEYS[1], 'until') or '0'), ARGV[1])
return 1`,
);

/**
 * KEYS: window hash. ARGV: window ms, amount, limit (0 = none). Fixed windows aligned to the
 * epoch; a refused amount is not added. Returns {allowed 1|0, total, ms until the window ends}.
 */
export const ADD_TO_WINDOW = script(
  "add-to-window",
  `
local windowMs = tonumber(ARGV[1])
local start = now - (now % windowMs)
local fields = redis.call('HMGET', KEYS[1], 'start', 'total')
local total = 0
if tonumber(fields[1] or '-1') == start then total = tonumber(fields[2] or '0') end
local amount = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
if limit > 0 and total + amount > limit then return {0, total, start + windowMs - now} end
total = total + amount
redis.call('HSET', KEYS[1], 'start', start, 'total', total)
redis.call('PEXPIRE', KEYS[1], start + windowMs - now)
return {1, total, start + windowMs - now}`,
);

/** KEYS: registrations hash. ARGV: id, JSON, channel, message. */
export const PUT_REGISTRATION = script(
  "put-registration",
  `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`,
);

/** KEYS: registrations hash. ARGV: id, channel, message. Returns 1 when there was one. */
export const DELETE_REGISTRATION = script(
  "delete-registration",
  `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`,
);

/**
 * KEYS: epoch key. ARGV: a fresh random value. Returns the stored marker, storing ARGV[1] when
 * there is none: a marker that changed between two reads means Redis lost its data meanwhile.
 */
export const EPOCH = script(
  "epoch",
  `
local epoch = redis.call('GET', KEYS[1])
if epoch then return epoch end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`,
);
