-- True sliding window: at most `limit` units admitted in any `interval`.
-- Each admitted unit is a member of a zset scored by its admission time.
-- KEYS: admissions zset, metrics hash, index zset
-- ARGV: name, limit, interval_us, cost, ttl_ms, waited (0|1), max_wait_us, nonce
-- Returns {admitted (1|0), next admission (us), server now (us), 0}
local log, metrics, index = KEYS[1], KEYS[2], KEYS[3]
local name, limit, interval = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local cost, ttl_ms = tonumber(ARGV[4]), tonumber(ARGV[5])
local waited, max_wait, nonce = ARGV[6] == '1', tonumber(ARGV[7]), ARGV[8]

local conflict = type_conflict(metrics, 'window', name)
if conflict then return redis.error_reply(conflict) end

local now = now_us()
-- the window is (now - interval, now]: a unit admitted exactly `interval` ago is out
redis.call('ZREMRANGEBYSCORE', log, '-inf', string.format('%d', now - interval))
local used = redis.call('ZCARD', log)

local admitted = used + cost <= limit
local next_at = now
if admitted then
  local members = {}
  for i = 1, cost do
    members[#members + 1] = now
    members[#members + 1] = nonce .. ':' .. i
  end
  redis.call('ZADD', log, unpack(members))
  redis.call('PEXPIRE', log, ms_ceil(interval) + 1000)
else
  -- room for `cost` units appears when the (used + cost - limit)-th oldest unit leaves
  local leaving = redis.call('ZRANGE', log, used + cost - limit - 1, used + cost - limit - 1, 'WITHSCORES')
  next_at = tonumber(leaving[2]) + interval
end
count(metrics, admitted, waited, next_at - now > max_wait)
touch(metrics, index, name, 'window', limit, interval, ttl_ms, now)
return {admitted and 1 or 0, next_at, now, 0}
