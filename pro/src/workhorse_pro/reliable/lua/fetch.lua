-- Reliable fetch: record finished jobs, then move up to `want` jobs from the public
-- queues into this process's in-progress hashes, skipping paused queues.
-- The jobs one call takes from one queue are stored together as one field,
-- "<first sequence number>/<count>" -> cmsgpack array of the jobs, so the call
-- writes one field per queue however many jobs it takes. While only some jobs of
-- such a batch have finished, "<field>:done" lists their 1-based offsets; when
-- all have, both fields go. (One field per job cost Redis 3x the CPU per job.)
-- KEYS[1]: `paused` set; KEYS[2]: reliable stats hash;
-- KEYS[3 .. 2+n]: queue:<name> lists (in the caller's strict/weighted order);
-- KEYS[3+n .. 2+2n]: the matching in-progress hashes of this process.
-- ARGV: want, n, first sequence number, expired count, then n queue names,
--       then n ack lists, one per queue: entries joined by ';', each either
--       "<field>" (every job of that batch finished) or "<field>=<offsets>".
-- Returns {paused queue indexes, jobs taken per queue (n counts), jobs}; the jobs
-- of one call have consecutive sequence numbers from the first one, in order.
local want = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local seq = tonumber(ARGV[3])
local expired = tonumber(ARGV[4])

for i = 1, n do
  local acks = ARGV[4 + n + i]
  if acks ~= '' then
    local hash = KEYS[2 + n + i]
    for entry in string.gmatch(acks, '[^;]+') do
      local field, done = string.match(entry, '^([^=]+)=(.+)$')
      if field then
        if redis.call('HEXISTS', hash, field) == 1 then -- never outlive its batch
          redis.call('HSET', hash, field .. ':done', done)
        end
      else
        redis.call('HDEL', hash, entry, entry .. ':done')
      end
    end
  end
end
if expired > 0 then
  redis.call('HINCRBY', KEYS[2], 'expired', expired)
end

local paused, counts, out = {}, {}, nil
for i = 1, n do
  counts[i] = 0
  if redis.call('SISMEMBER', KEYS[1], ARGV[4 + i]) == 1 then
    paused[#paused + 1] = i
  elseif want > 0 then
    local jobs = redis.call('RPOP', KEYS[2 + i], want)
    if jobs then
      redis.call('HSET', KEYS[2 + n + i], seq .. '/' .. #jobs, cmsgpack.pack(jobs))
      counts[i] = #jobs
      seq = seq + #jobs
      want = want - #jobs
      if out == nil then
        out = jobs
      else
        for _, job in ipairs(jobs) do
          out[#out + 1] = job
        end
      end
    end
  end
end
return {paused, counts, out or {}}
