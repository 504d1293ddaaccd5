-- Move due jobs from a sorted set (schedule or retry) into their queues, atomically.
-- The caller read the due members and prepared each job's queued form
-- (with a fresh enqueued_at). A member moves only if this call removes it,
-- so two pollers racing on the same job push it exactly once.
-- KEYS[1]: the sorted set; KEYS[2]: the `queues` set; KEYS[3..]: target queue lists.
-- ARGV: groups of four: member, queued payload, index into KEYS of its queue list,
--       queue name (for the `queues` set).
-- Returns the number of jobs moved.
local moved = 0
for i = 1, #ARGV, 4 do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
    local key = KEYS[tonumber(ARGV[i + 2])]
    redis.call('SADD', KEYS[2], ARGV[i + 3])
    redis.call('LPUSH', key, ARGV[i + 1])
    moved = moved + 1
  end
end
return moved
