-- Enqueue one tick of a periodic entry, at most once cluster-wide.
-- Everything that decides "has this tick run?" happens in this one script:
-- the caller must hold the leader lease, the tick must be newer than the
-- entry's last tick, and the tick key must be new. So neither a deposed
-- leader nor a new one can push a tick twice.
-- KEYS[1] entry state hash   KEYS[2] tick key       KEYS[3] queue list
-- KEYS[4] queues set         KEYS[5] leader lease   KEYS[6] entry history list
-- ARGV[1] tick (epoch s)     ARGV[2] tick key TTL ms   ARGV[3] job payload JSON
-- ARGV[4] queue name         ARGV[5] leader identity   ARGV[6] jid
-- ARGV[7] now (epoch ms)     ARGV[8] history item JSON ARGV[9] history length
-- Unique jobs only: KEYS[7] the unique lock, ARGV[10] its TTL ms. Taken with the push, so a
-- run still holding the lock (queued, retrying, running) makes the tick consumed, not pushed.
-- Returns 1 pushed, 0 already handled, -1 not the leader, -2 paused (tick consumed),
-- -3 the unique lock is held by another jid (tick consumed).
if redis.call('GET', KEYS[5]) ~= ARGV[5] then
  return -1
end
local tick = tonumber(ARGV[1])
-- A last_tick that is not a finite number (written by another program)
-- counts as absent, so the tick runs and overwrites it instead of failing every second.
local last = tonumber(redis.call('HGET', KEYS[1], 'last_tick') or '')
if last and last >= tick and last < math.huge then
  return 0
end
if redis.call('HGET', KEYS[1], 'paused') then
  redis.call('HSET', KEYS[1], 'last_tick', ARGV[1])
  return -2
end
if KEYS[7] then
  local holder = redis.call('GET', KEYS[7])
  if holder and holder ~= ARGV[6] then
    redis.call('HSET', KEYS[1], 'last_tick', ARGV[1])
    return -3
  end
end
if not redis.call('SET', KEYS[2], ARGV[6], 'NX', 'PX', ARGV[2]) then
  redis.call('HSET', KEYS[1], 'last_tick', ARGV[1])
  return 0
end
if KEYS[7] then
  redis.call('SET', KEYS[7], ARGV[6], 'PX', ARGV[10])
end
redis.call('LPUSH', KEYS[3], ARGV[3])
redis.call('SADD', KEYS[4], ARGV[4])
redis.call('HSET', KEYS[1], 'last_tick', ARGV[1], 'last_jid', ARGV[6], 'last_enqueued_at', ARGV[7])
redis.call('LPUSH', KEYS[6], ARGV[8])
redis.call('LTRIM', KEYS[6], 0, tonumber(ARGV[9]) - 1)
return 1
