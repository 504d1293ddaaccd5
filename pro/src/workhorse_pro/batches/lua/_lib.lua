-- Shared by every batch script: scripts.py prepends this file to each one.
--
-- A batch "view" is seven consecutive KEYS (see keys.py BatchKeys.view):
--   hash, pending, failed, dead, kids, kids-ok, callback queue.
-- KEYS[1] is always the `queues` set. ARGV[1] = now (epoch ms), ARGV[2] = the
-- wire timestamp for job payloads, ARGV[3] = 20 random hex digits: the jids of
-- the callback jobs this call pushes are that prefix and a 4-digit counter.
--
-- Why Lua: deciding "this was the last job" and pushing the callback job must
-- be one atomic step, so that two workers finishing the last jobs together, or
-- a worker dying in between, can neither lose nor duplicate a callback (issue 8).

local CALLBACK = 'workhorse_pro.batch_callback'
local used_jids = 0

local function view(offset)
  return {h = KEYS[offset], pending = KEYS[offset + 1], failed = KEYS[offset + 2],
          dead = KEYS[offset + 3], kids = KEYS[offset + 4], kids_ok = KEYS[offset + 5],
          cbqueue = KEYS[offset + 6]}
end

-- Give `key` the remaining lifetime of the batch hash (sets created after the batch).
local function follow_ttl(h, key)
  local ttl = redis.call('PTTL', h)
  if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
end

-- Mark `event` queued and push its callback job: the only place callbacks are created.
local function fire(v, bid, event)
  used_jids = used_jids + 1
  local meta = redis.call('HMGET', v.h, 'cbq', 'traceparent')
  local queue = meta[1]
  redis.call('HSET', v.h, event, 'queued', event .. '_at', ARGV[1])
  local stamp = tonumber(ARGV[2])
  local item = {class = CALLBACK, args = {event, bid}, queue = queue,
                jid = ARGV[3] .. string.format('%04x', used_jids), retry = true,
                created_at = stamp, enqueued_at = stamp}
  -- The batch's trace (tracing on when it was created): the callback's span links to it.
  if meta[2] then item.batch_traceparent = meta[2] end
  local job = cjson.encode(item)
  redis.call('SADD', KEYS[1], queue)
  redis.call('LPUSH', v.cbqueue, job)
end

-- Fire `complete` or `success` if the batch has just reached that state.
-- complete: sealed, every pending job failed at least once, no child still running.
-- success:  complete's callback has run, nothing pending, every child succeeded.
local function evaluate(v, bid)
  local state = redis.call('HMGET', v.h, 'sealed', 'complete', 'success')
  if state[1] ~= '1' then return end
  if not state[2] then
    if redis.call('SCARD', v.pending) == redis.call('SCARD', v.failed)
        and redis.call('SCARD', v.kids) == 0 then
      fire(v, bid, 'complete')
    end
  elseif state[2] == 'done' and not state[3] then
    if redis.call('SCARD', v.pending) == 0 and redis.call('SCARD', v.kids_ok) == 0 then
      fire(v, bid, 'success')
    end
  end
end

local function expire_all(v, seconds)
  for _, key in ipairs({v.h, v.pending, v.failed, v.dead, v.kids, v.kids_ok}) do
    redis.call('EXPIRE', key, seconds)
  end
end
