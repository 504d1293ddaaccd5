-- Recover the in-progress jobs of a process whose lease expired.
-- Exactly once: each in-progress hash is read and deleted inside this script,
-- so recoverers racing on the same process move each job one time.
-- KEYS[1]: reliable processes hash; KEYS[2]: the process's lease;
-- KEYS[3]: recoveries hash (jid -> count); KEYS[4]: poison list;
-- KEYS[5]: reliable stats hash; KEYS[6 .. 5+n]: in-progress hashes;
-- KEYS[6+n .. 5+2n]: the matching queue:<name> lists.
-- ARGV: identity, n, max recoveries (0: never poison), recoveries TTL seconds.
-- Returns {recovered, poisoned}, or {-1, 0} when the lease is alive.
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {-1, 0}
end
redis.call('HDEL', KEYS[1], ARGV[1])
local n = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local recovered, poisoned = 0, 0

local function jid_of(job)
  local ok, decoded = pcall(cjson.decode, job)
  if ok and type(decoded) == 'table' and type(decoded['jid']) == 'string' then
    return decoded['jid']
  end
  return 'sha1:' .. redis.sha1hex(job)
end

for i = 1, n do
  local jobs = unfinished(KEYS[5 + i])
  -- Newest first, so after the RPUSHes the oldest job is at the very head.
  for j = #jobs, 1, -1 do
    local job = jobs[j][3]
    local count = redis.call('HINCRBY', KEYS[3], jid_of(job), 1)
    if limit > 0 and count >= limit then
      redis.call('LPUSH', KEYS[4], job)
      poisoned = poisoned + 1
    else
      redis.call('RPUSH', KEYS[5 + n + i], job)
      recovered = recovered + 1
    end
  end
  drop_all(KEYS[5 + i])
end
if recovered + poisoned > 0 then
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[4]))
  redis.call('HINCRBY', KEYS[5], 'recovered', recovered)
  if poisoned > 0 then
    redis.call('HINCRBY', KEYS[5], 'poisoned', poisoned)
  end
end
return {recovered, poisoned}
