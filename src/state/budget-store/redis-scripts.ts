/**
 * The budget store's Lua scripts: a reservation against every budget of a request is one script
 * (check all, then count all, so no other client interleaves), and a settlement is one script.
 * KEYS are the counters (hashes: bucket start → amount). Times come from the caller: buckets are
 * calendar periods computed by the gateway (usage/budget-period.ts), so the script needs no clock.
 * @module
 */
import { script } from "../redis-scripts.js";

/**
 * ARGV, five per key: limit, amount, bucket, oldest, ttl ms. Buckets older than `oldest` are
 * dropped on the way. Replies `{0, 0, -1}` when every charge was counted, else
 * `{index (1-based), what that budget holds, its oldest bucket with any amount or -1}`.
 */
export const RESERVE_BUDGET = script(
  "reserve_budget",
  `
for i = 1, #KEYS do
  local base = (i - 1) * 5
  local limit = tonumber(ARGV[base + 1])
  local amount = tonumber(ARGV[base + 2])
  local oldest = tonumber(ARGV[base + 4])
  local fields = redis.call('HGETALL', KEYS[i])
  local total = 0
  local first = -1
  for j = 1, #fields, 2 do
    local bucket = tonumber(fields[j])
    local value = tonumber(fields[j + 1])
    if bucket < oldest then
      redis.call('HDEL', KEYS[i], fields[j])
    else
      total = total + value
      if value > 0 and (first < 0 or bucket < first) then first = bucket end
    end
  end
  if total + amount > limit then return {i, total, first} end
end
for i = 1, #KEYS do
  local base = (i - 1) * 5
  redis.call('HINCRBY', KEYS[i], ARGV[base + 3], ARGV[base + 2])
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[base + 5]) then
    redis.call('PEXPIRE', KEYS[i], ARGV[base + 5])
  end
end
return {0, 0, -1}`,
);

/** ARGV, three per key: bucket, delta, ttl ms. */
export const SETTLE_BUDGET = script(
  "settle_budget",
  `
for i = 1, #KEYS do
  local base = (i - 1) * 3
  redis.call('HINCRBY', KEYS[i], ARGV[base + 1], ARGV[base + 2])
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[base + 3]) then
    redis.call('PEXPIRE', KEYS[i], ARGV[base + 3])
  end
end
return 0`,
);

/** ARGV: oldest. The sum of the buckets from `oldest` on. */
export const BUDGET_SPENT = script(
  "budget_spent",
  `
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
for j = 1, #fields, 2 do
  if tonumber(fields[j]) >= tonumber(ARGV[1]) then total = total + tonumber(fields[j + 1]) end
end
return total`,
);
