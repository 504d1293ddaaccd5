-- Take one of `limit` slots. Holders live in a zset scored by lease expiry, so a
-- holder that died without releasing loses its slot after lock_timeout.
-- The wake list holds one token per free slot (capped): waiters BLPOP on it
-- instead of polling; every script call re-derives it from the holders zset, so
-- a stale or lost token heals at the next call.
-- KEYS: holders zset, wake list, metrics hash, index zset
-- ARGV: name, limit, lock_us, token, ttl_ms, waited (0|1), max_wait_us
-- Returns {admitted (1|0), next lease expiry if denied else now (us), server now (us),
--          reclaimed, expected release if denied else now (us)}
-- The expected release (oldest holder's start + the average hold, from the
-- metrics) is what a rescheduled job aims for: a slot usually frees long before
-- the earliest lease expires, which only bounds a waiter's BLPOP.
local holders, wake, metrics, index = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local name, limit, lock_us = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local token, ttl_ms = ARGV[4], tonumber(ARGV[5])
local waited, max_wait = ARGV[6] == '1', tonumber(ARGV[7])

local conflict = type_conflict(metrics, 'concurrent', name)
if conflict then return redis.error_reply(conflict) end

local now = now_us()
local reclaimed = redis.call('ZREMRANGEBYSCORE', holders, '-inf', string.format('%d', now))
if reclaimed > 0 then redis.call('HINCRBY', metrics, 'reclaimed', reclaimed) end

local held = redis.call('ZCARD', holders)
local admitted = held < limit
local next_at, expected = now, now
if admitted then
  redis.call('ZADD', holders, now + lock_us, token)
  held = held + 1
else
  next_at = tonumber(redis.call('ZRANGE', holders, 0, 0, 'WITHSCORES')[2])
  expected = next_at
  local hold = tonumber(redis.call('HGET', metrics, 'hold_us'))
  if hold then
    expected = next_at - lock_us + hold
    if expected <= now then expected = now + hold end -- the oldest is overdue: one more hold
    expected = math.min(expected, next_at)
  end
end
redis.call('PEXPIRE', holders, math.max(ttl_ms, 2 * ms_ceil(lock_us)))
refill_wake(wake, limit - held, ttl_ms)
count(metrics, admitted, waited, max_wait <= 0)
touch(metrics, index, name, 'concurrent', limit, lock_us, ttl_ms, now)
return {admitted and 1 or 0, next_at, now, reclaimed, expected}
