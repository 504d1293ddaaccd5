-- Move one member between sorted sets if it is still there (exact bytes).
-- KEYS[1]: source zset; KEYS[2]: target zset.
-- ARGV[1]: member in the source; ARGV[2]: member to add to the target; ARGV[3]: its score.
-- Returns 1 if moved, 0 if the member was gone (a concurrent change won).
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
  return 1
end
return 0
