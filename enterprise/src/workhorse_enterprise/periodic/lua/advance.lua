-- Move an entry's last tick forward without enqueuing (skipped missed ticks,
-- first sight of a new entry). Leader only; never moves it backwards.
-- KEYS[1] entry state hash   KEYS[2] leader lease
-- ARGV[1] tick (epoch s)     ARGV[2] leader identity
-- Returns 1 moved, 0 already at or past the tick, -1 not the leader.
if redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return -1
end
-- A last_tick that is not a finite number counts as absent and is overwritten.
local last = tonumber(redis.call('HGET', KEYS[1], 'last_tick') or '')
if last and last >= tonumber(ARGV[1]) and last < math.huge then
  return 0
end
redis.call('HSET', KEYS[1], 'last_tick', ARGV[1])
return 1
