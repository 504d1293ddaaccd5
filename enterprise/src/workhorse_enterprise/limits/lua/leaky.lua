-- Leaky bucket (also the points budget): the level rises by each admitted cost,
-- drains continuously at limit / interval, and may never exceed `limit`.
-- KEYS: state hash {level, t = time of level}, metrics hash, index zset
-- ARGV: name, limit, interval_us, cost, ttl_ms, waited (0|1), max_wait_us, nonce, kind
-- Returns {admitted (1|0), next admission (us), server now (us), 0}
local state, metrics, index = KEYS[1], KEYS[2], KEYS[3]
local name, limit, interval = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local cost, ttl_ms = tonumber(ARGV[4]), tonumber(ARGV[5])
local waited, max_wait, kind = ARGV[6] == '1', tonumber(ARGV[7]), ARGV[9]

local conflict = type_conflict(metrics, kind, name)
if conflict then return redis.error_reply(conflict) end

local now = now_us()
local rate = limit / interval -- units drained per microsecond
local saved = redis.call('HMGET', state, 'level', 't')
local level = tonumber(saved[1]) or 0
local since = tonumber(saved[2]) or now
level = math.max(0, level - (now - since) * rate)

-- the epsilon absorbs float error so an exactly drained level admits on time
local admitted = level + cost <= limit + 1e-9
local next_at = now
if admitted then
  redis.call('HSET', state, 'level', level + cost, 't', now)
  -- a full bucket is empty again after one interval; then the state is worthless
  redis.call('PEXPIRE', state, ms_ceil(interval) + 1000)
else
  next_at = now + math.ceil((level + cost - limit) / rate)
end
count(metrics, admitted, waited, next_at - now > max_wait)
touch(metrics, index, name, kind, limit, interval, ttl_ms, now)
return {admitted and 1 or 0, next_at, now, 0}
