-- Give a slot back and wake one waiter.
-- KEYS: holders zset, wake list, metrics hash, index zset
-- ARGV: name, limit, token, ttl_ms, lock_us
-- The hold time feeds a moving average (metrics `hold_us`) that predicts releases.
-- Returns {released (1, or 0 if the lease had expired and was reclaimed), server now (us)}
local holders, wake, metrics = KEYS[1], KEYS[2], KEYS[3]
local limit, token, ttl_ms, lock_us = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])

local now = now_us()
local expiry = tonumber(redis.call('ZSCORE', holders, token))
local released = redis.call('ZREM', holders, token)
if expiry then
  local hold = now - (expiry - lock_us)
  local average = tonumber(redis.call('HGET', metrics, 'hold_us'))
  if average then hold = 0.8 * average + 0.2 * hold end
  redis.call('HSET', metrics, 'hold_us', math.floor(hold))
end
local reclaimed = redis.call('ZREMRANGEBYSCORE', holders, '-inf', string.format('%d', now))
if reclaimed > 0 then redis.call('HINCRBY', metrics, 'reclaimed', reclaimed) end
refill_wake(wake, limit - redis.call('ZCARD', holders), ttl_ms)
if redis.call('EXISTS', metrics) == 1 then
  redis.call('HSET', metrics, 'last_us', now)
end
return {released, now}
