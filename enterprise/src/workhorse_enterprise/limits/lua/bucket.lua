-- Fixed, clock-aligned window: at most `limit` units per interval starting at
-- multiples of the interval on the server clock (e.g. each UTC second).
-- KEYS: state hash {w = window index, n = units used}, metrics hash, index zset
-- ARGV: name, limit, interval_us, cost, ttl_ms, waited (0|1), max_wait_us
-- Returns {admitted (1|0), next admission (us), server now (us), 0}
local state, metrics, index = KEYS[1], KEYS[2], KEYS[3]
local name, limit, interval = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local cost, ttl_ms = tonumber(ARGV[4]), tonumber(ARGV[5])
local waited, max_wait = ARGV[6] == '1', tonumber(ARGV[7])

local conflict = type_conflict(metrics, 'bucket', name)
if conflict then return redis.error_reply(conflict) end

local now = now_us()
local window = math.floor(now / interval)
local used = 0
local saved = redis.call('HMGET', state, 'w', 'n')
if tonumber(saved[1]) == window then used = tonumber(saved[2]) end

local admitted = used + cost <= limit
local next_at = now
if admitted then
  redis.call('HSET', state, 'w', window, 'n', used + cost)
  -- the state is worthless once its window is over
  redis.call('PEXPIRE', state, ms_ceil(interval) + 1000)
else
  next_at = (window + 1) * interval
end
count(metrics, admitted, waited, next_at - now > max_wait)
touch(metrics, index, name, 'bucket', limit, interval, ttl_ms, now)
return {admitted and 1 or 0, next_at, now, 0}
