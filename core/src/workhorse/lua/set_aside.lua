-- Empty a queue list or a job zset at once, keeping its jobs under another name for a
-- while, so the caller can tell plugins which jobs went (hook workhorse_jobs_removed)
-- without reading a huge key in one reply or racing new pushes.
-- KEYS[1] the list or zset    KEYS[2] the aside name (the same hash tag: the same slot)
-- KEYS[3] optional: the `queues` set, to drop ARGV[2] from it
-- ARGV[1] how long the aside copy lives, seconds    ARGV[2] the queue name (with KEYS[3])
-- Returns how many jobs were set aside.
local kind = redis.call('TYPE', KEYS[1])['ok']
local count = 0
if kind == 'list' then
  count = redis.call('LLEN', KEYS[1])
elseif kind == 'zset' then
  count = redis.call('ZCARD', KEYS[1])
end
if count > 0 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[1])
elseif kind ~= 'none' then
  redis.call('UNLINK', KEYS[1])  -- not a job key (another program wrote it): cleared as before
end
if KEYS[3] then
  redis.call('SREM', KEYS[3], ARGV[2])
end
return count
