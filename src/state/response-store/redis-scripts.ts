/**
 * The Redis response store's Lua scripts: each read or change is one script, so it is one round
 * trip and atomic across replicas. They follow the state store's clock rule (state/redis-scripts.ts):
 * `now` is the last ARGV or the server's clock, expiry is decided by comparing the index's scores
 * with it, and Redis's own `PX` only removes what is over by then.
 *
 * Every script takes the same KEYS, the layout in redis-keys.ts: the index (zset, id → expiry ms),
 * the sizes (hash, id → bytes), the byte total (string), and the entry's own key (`prefix .. id`).
 * ARGV starts with the id and the entry key prefix. Evicted and expired entries' keys are made from
 * the prefix inside the script: they are not known before it runs, which ties the store to one
 * Redis (not a cluster), as the rest of the state store already is.
 * @module
 */
import { script } from "../redis-scripts.js";

/**
 * Expired entries are swept a bounded number at a time, so no call blocks Redis for long after a
 * mass expiry; what is left is swept by the next calls and already reads as gone.
 */
const SWEEP_LIMIT = 1000;

const HELPERS = `
local id = ARGV[1]
local prefix = ARGV[2]
local function drop(member)
  local size = tonumber(redis.call('HGET', KEYS[2], member) or '0')
  redis.call('HDEL', KEYS[2], member)
  redis.call('ZREM', KEYS[1], member)
  redis.call('DEL', prefix .. member)
  if size > 0 then redis.call('DECRBY', KEYS[3], size) end
end
local function sweep()
  local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ${SWEEP_LIMIT})
  for _, member in ipairs(expired) do drop(member) end
end`;

/** Returns the entry's JSON, or nil when there is none or it has expired. */
export const GET_RESPONSE = script(
  "response-get",
  `
local expires = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expires or tonumber(expires) <= now then return false end
return redis.call('GET', KEYS[4])`,
);

/**
 * ARGV (after id and prefix): JSON, bytes, ttl ms, max entries, max bytes. Replaces an entry with
 * the same id, sweeps expired entries, evicts the oldest until the new one fits both bounds, then
 * stores it. The index keys live as long as the newest entry, so an idle fleet's go with it.
 * Returns the number of entries evicted to make room.
 */
export const PUT_RESPONSE = script(
  "response-put",
  `
${HELPERS}
local bytes = tonumber(ARGV[4])
local ttl = tonumber(ARGV[5])
local maxEntries = tonumber(ARGV[6])
local maxBytes = tonumber(ARGV[7])
if redis.call('ZSCORE', KEYS[1], id) then drop(id) end
sweep()
local count = redis.call('ZCARD', KEYS[1])
local total = tonumber(redis.call('GET', KEYS[3]) or '0')
local evicted = 0
while count > 0 and (count >= maxEntries or total + bytes > maxBytes) do
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  total = total - tonumber(redis.call('HGET', KEYS[2], oldest) or '0')
  drop(oldest)
  count = count - 1
  evicted = evicted + 1
end
redis.call('SET', KEYS[4], ARGV[3], 'PX', ttl)
redis.call('ZADD', KEYS[1], string.format('%d', now + ttl), id)
redis.call('HSET', KEYS[2], id, bytes)
redis.call('INCRBY', KEYS[3], bytes)
for index = 1, 3 do redis.call('PEXPIRE', KEYS[index], ttl) end
return evicted`,
);

/** Returns 1 when an unexpired entry was deleted, else 0 (an expired one is removed all the same). */
export const DELETE_RESPONSE = script(
  "response-delete",
  `
${HELPERS}
local expires = redis.call('ZSCORE', KEYS[1], id)
if not expires then return 0 end
drop(id)
if tonumber(expires) <= now then return 0 end
return 1`,
);

/** Sweeps, then returns {entries, bytes}. */
export const RESPONSE_STATS = script(
  "response-stats",
  `
${HELPERS}
sweep()
return {redis.call('ZCARD', KEYS[1]), tonumber(redis.call('GET', KEYS[3]) or '0')}`,
);
