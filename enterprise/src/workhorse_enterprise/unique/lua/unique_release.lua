-- Release a unique lock only if this job still holds it: a lock that expired and was
-- taken by a newer job must survive the older job finishing.
-- KEYS[1] lock key; ARGV[1] jid. Returns 1 when released, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
