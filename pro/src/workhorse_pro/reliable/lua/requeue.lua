-- Put unfinished jobs back at the head (right end) of their queues, each only if
-- it is still in this process's in-progress hash, so a job that orphan recovery
-- already moved is never pushed twice.
-- KEYS: pairs (queue:<name>, in-progress hash); ARGV: pairs (index of the pair, field).
-- Returns the number of jobs requeued.
local moved = 0
for a = 1, #ARGV, 2 do
  local pair = tonumber(ARGV[a])
  local job = redis.call('HGET', KEYS[2 * pair], ARGV[a + 1])
  if job then
    redis.call('HDEL', KEYS[2 * pair], ARGV[a + 1])
    redis.call('RPUSH', KEYS[2 * pair - 1], job)
    moved = moved + 1
  end
end
return moved
