-- Shared by every limiter script: scripts.py prepends this file to each one.
-- Times are integer microseconds of the Redis server clock (redis.call('TIME')),
-- so the clocks of clients never matter (issue 9). Every key arrives in KEYS.

if redis.replicate_commands then
  -- Redis < 5 replicates scripts verbatim and forbids writes after TIME
  -- without this; later versions replicate effects and ignore it.
  pcall(redis.replicate_commands)
end

local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- One name, one type: a bucket and a window both called "stripe" would share
-- their metrics and confuse every reader, so the second one is refused.
local function type_conflict(metrics, kind, name)
  local existing = redis.call('HGET', metrics, 'type')
  if existing and existing ~= kind then
    return 'limiter name "' .. name .. '" is already used by a ' .. existing ..
      ' limiter; give this ' .. kind .. ' limiter another name (or let the old one expire)'
  end
  return nil
end

-- Configuration, metrics and the index entry that `workhorse limits` lists.
-- The index score is the moment the limiter's data expires, so pruning by score
-- forgets exactly the limiters whose state Redis already dropped.
local function touch(metrics, index, name, kind, limit, interval_us, ttl_ms, now)
  redis.call('HSET', metrics, 'type', kind, 'limit', limit, 'interval_us', interval_us, 'last_us', now)
  redis.call('PEXPIRE', metrics, ttl_ms)
  local now_ms = math.floor(now / 1000)
  redis.call('ZADD', index, now_ms + ttl_ms, name)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. string.format('%d', now_ms))
end

-- admitted: count it (and whether it had waited); denied for good: an overage.
local function count(metrics, admitted, waited, final)
  if admitted then
    redis.call('HINCRBY', metrics, 'admitted', 1)
    if waited then
      redis.call('HINCRBY', metrics, 'waited', 1)
    end
  elseif final then
    redis.call('HINCRBY', metrics, 'over', 1)
  end
end

local function ms_ceil(us)
  return math.ceil(us / 1000)
end

-- Concurrent limiters: make the wake list hold one token per free slot (at most
-- 32; an admitted waiter's call tops it up again, so a burst of releases still
-- wakes everyone). No free slot: no token, and any stale token is dropped.
local function refill_wake(wake, free, ttl_ms)
  local len = redis.call('LLEN', wake)
  free = math.min(free, 32)
  if free <= 0 then
    if len > 0 then redis.call('DEL', wake) end
  elseif len < free then
    for _ = len + 1, free do redis.call('RPUSH', wake, '1') end
    redis.call('PEXPIRE', wake, ttl_ms)
  elseif len > free then
    redis.call('LTRIM', wake, 0, free - 1)
  end
end
