-- Reliable fetch: acknowledge finished jobs, then move up to `want` jobs from the
-- public queues into this process's in-progress hashes, skipping paused queues.
-- An in-progress hash maps a per-process sequence number to the job, so one HDEL
-- acknowledges many jobs and identical payloads never collide.
-- KEYS[1]: `paused` set; KEYS[2]: reliable stats hash;
-- KEYS[3 .. 2+n]: queue:<name> lists (in the caller's strict/weighted order);
-- KEYS[3+n .. 2+2n]: the matching in-progress hashes of this process.
-- ARGV: want, n, first sequence number, expired count, then n queue names,
--       then n comma-separated lists of finished sequence numbers (one per queue).
-- Arguments are few and compact on purpose: packing them is the client's main cost.
-- Returns {paused queue indexes, jobs taken per queue (n counts), jobs}; the jobs
-- of one call have consecutive sequence numbers from the first one, in order.
local want = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local seq = tonumber(ARGV[3])
local expired = tonumber(ARGV[4])
local CHUNK = 500 -- stay far below Lua's unpack() limit

local function call_chunked(command, key, items)
  for first = 1, #items, CHUNK do
    redis.call(command, key, unpack(items, first, math.min(first + CHUNK - 1, #items)))
  end
end

for i = 1, n do
  local acks = ARGV[4 + n + i]
  if acks ~= '' then
    local fields = {}
    for field in string.gmatch(acks, '[^,]+') do
      fields[#fields + 1] = field
    end
    call_chunked('HDEL', KEYS[2 + n + i], fields)
  end
end
if expired > 0 then
  redis.call('HINCRBY', KEYS[2], 'expired', expired)
end

local paused, counts, out = {}, {}, {}
for i = 1, n do
  counts[i] = 0
  if redis.call('SISMEMBER', KEYS[1], ARGV[4 + i]) == 1 then
    paused[#paused + 1] = i
  elseif want > 0 then
    local jobs = redis.call('RPOP', KEYS[2 + i], want)
    if jobs then
      local fields = {}
      for _, job in ipairs(jobs) do
        fields[#fields + 1] = seq
        fields[#fields + 1] = job
        out[#out + 1] = job
        seq = seq + 1
      end
      call_chunked('HSET', KEYS[2 + n + i], fields)
      counts[i] = #jobs
      want = want - #jobs
    end
  end
end
return {paused, counts, out}
