-- Extend the leader lease, only if this process still holds it.
-- KEYS[1] lease key (dear-leader)
-- ARGV[1] holder identity, ARGV[2] lease length in ms
-- Returns 1 if renewed, 0 if someone else (or no one) holds it.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
