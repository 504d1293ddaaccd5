-- Send one poison pill from the poison list to the dead set, exactly once.
-- KEYS[1]: poison list; KEYS[2]: dead zset; KEYS[3]: recoveries hash.
-- ARGV: job as stored in the poison list, dead-set payload ('' to discard),
--       now (epoch s), dead timeout (s), dead max jobs, jid.
-- Returns 1 if this call took the job, 0 if another process already did.
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then
  return 0
end
if ARGV[2] ~= '' then
  local now = tonumber(ARGV[3])
  redis.call('ZADD', KEYS[2], now, ARGV[2])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[4]))
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[5]) - 1)
end
redis.call('HDEL', KEYS[3], ARGV[6])
return 1
