-- Step down: delete the lease, only if this process holds it.
-- KEYS[1] lease key (dear-leader)
-- ARGV[1] holder identity
-- Returns 1 if released, 0 if it was not ours.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
