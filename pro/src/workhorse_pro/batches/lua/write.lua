-- Create a batch, add jobs to it (creation chunks or a reopen), and/or seal it.
-- KEYS: queues, view(2), schedule (9), index (10), parent view (11) when ARGV[8]
--       is not empty, then the job queue keys from KEYS[ARGV[11]].
-- ARGV: now, stamp, jid prefix, bid, mode ('create'|'add'), seal ('0'|'1'), ttl seconds,
--       parent bid, fields JSON (create), created epoch seconds, queue key offset,
--       queue count Q, Q queue names, job count N, the N jids, then per queue (in
--       KEYS order) its job count and payloads, then the scheduled count S and S x
--       (score, payload).
-- One call is atomic: the jobs, the counters and the checks land together or not at all.
local v = view(2)
local bid, mode, seal, ttl, parent = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8]

if mode == 'create' then
  if redis.call('EXISTS', v.h) == 1 then return redis.error_reply('BATCH_EXISTS ' .. bid) end
  if parent ~= '' then
    local p = view(11)
    local ps = redis.call('HMGET', p.h, 'created_at', 'complete')
    if not ps[1] then return redis.error_reply('BATCH_GONE ' .. parent) end
    if ps[2] then return redis.error_reply('BATCH_CLOSED ' .. parent) end
    redis.call('SADD', p.kids, bid)
    redis.call('SADD', p.kids_ok, bid)
    follow_ttl(p.h, p.kids)
    follow_ttl(p.h, p.kids_ok)
    redis.call('HINCRBY', p.h, 'kids', 1)
  end
  local fields = cjson.decode(ARGV[9])
  for name, value in pairs(fields) do redis.call('HSET', v.h, name, value) end
  redis.call('HSET', v.h, 'total', 0, 'sealed', 0, 'created_at', ARGV[1], 'parent', parent)
  redis.call('ZADD', KEYS[10], ARGV[10], bid)
else
  local s = redis.call('HMGET', v.h, 'created_at', 'complete')
  if not s[1] then return redis.error_reply('BATCH_GONE ' .. bid) end
  if s[2] then return redis.error_reply('BATCH_CLOSED ' .. bid) end
end

-- Variadic commands in slices: far fewer redis.call()s than one per job, and
-- unpack() stays well under Lua's stack limit.
local SLICE = 1000
local function each_slice(command, key, first, count, stride)
  local i, last = first, first + count * stride - 1
  while i <= last do
    local j = math.min(i + SLICE * stride - 1, last)
    redis.call(command, key, unpack(ARGV, i, j))
    i = j + 1
  end
end

local qoffset, nqueues = tonumber(ARGV[11]), tonumber(ARGV[12])
for q = 1, nqueues do redis.call('SADD', KEYS[1], ARGV[12 + q]) end
local at = 13 + nqueues
local njobs = tonumber(ARGV[at])
each_slice('SADD', v.pending, at + 1, njobs, 1)
at = at + 1 + njobs
for q = 1, nqueues do
  local count = tonumber(ARGV[at])
  each_slice('LPUSH', KEYS[qoffset + q - 1], at + 1, count, 1)
  at = at + 1 + count
end
each_slice('ZADD', KEYS[9], at + 1, tonumber(ARGV[at]), 2)
redis.call('HINCRBY', v.h, 'total', njobs)
expire_all(v, ttl)
if seal == '1' then
  redis.call('HSET', v.h, 'sealed', 1)
  evaluate(v, bid)
end
return njobs
