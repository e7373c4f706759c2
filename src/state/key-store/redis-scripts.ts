/**
 * The key store's Lua scripts: a change and its announcement are one script, so no replica can
 * miss a change it could have read. KEYS: the records (hash id → JSON), the digests (hash
 * digest → id) and the mark that keys were ever made (so revoking the last one leaves keys
 * required). The announcement is the key's id; replicas read the record again.
 * @module
 */
import { script } from "../redis-scripts.js";

/** ARGV: id, JSON, digest, channel. */
export const PUT_KEY = script(
  "put_key",
  `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local digest = cjson.decode(old)['key_sha256']
  if digest and digest ~= ARGV[3] then redis.call('HDEL', KEYS[2], digest) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
redis.call('SET', KEYS[3], '1')
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 1`,
);

/** ARGV: id, channel. Replies 1 when the key existed. */
export const DELETE_KEY = script(
  "delete_key",
  `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
local digest = cjson.decode(old)['key_sha256']
if digest then redis.call('HDEL', KEYS[2], digest) end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[1])
return 1`,
);

/** ARGV: digest. The record with that digest, or nil. */
export const FIND_KEY = script(
  "find_key",
  `
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id then return false end
return redis.call('HGET', KEYS[1], id)`,
);
