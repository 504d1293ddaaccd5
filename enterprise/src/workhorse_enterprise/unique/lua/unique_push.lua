-- Take a unique job's lock and push the job, in one atomic step.
-- KEYS[1] lock key, KEYS[2] the `queues` set, KEYS[3] the queue list (or the `schedule` zset)
-- ARGV[1] jid, ARGV[2] lock TTL in ms, ARGV[3] the job as stored,
-- ARGV[4] queue name, ARGV[5] schedule score ('' = push to the queue now)
-- Returns nil when pushed, else the jid that holds the lock (nothing written).
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return holder
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[5] == '' then
  redis.call('SADD', KEYS[2], ARGV[4])
  redis.call('LPUSH', KEYS[3], ARGV[3])
else
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[3])
end
return false
