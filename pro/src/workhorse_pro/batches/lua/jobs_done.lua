-- Batch jobs succeeded, possibly in several batches: one call records a whole
-- group (tracking.DoneRecorder), so batch jobs cost a fraction of a round trip.
-- KEYS: queues, then one view per batch (2, 9, 16, ...).
-- ARGV: now, stamp, jid prefix, then per batch (in KEYS order): bid, count, jids.
-- Idempotent per jid, like job_done.lua. Returns how many jids changed a batch.
local CHUNK = 500 -- stay far below Lua's unpack() limit

-- SREM many members with one call per chunk; returns how many were members.
local function srem_all(key, first, last)
  local removed = 0
  for from = first, last, CHUNK do
    removed = removed + redis.call('SREM', key, unpack(ARGV, from, math.min(from + CHUNK - 1, last)))
  end
  return removed
end

local changed_total, at = 0, 4
for b = 0, (#KEYS - 1) / 7 - 1 do
  local v = view(2 + 7 * b)
  local bid, count = ARGV[at], tonumber(ARGV[at + 1])
  local first, last = at + 2, at + 1 + count
  -- One SREM for the whole group: it counts exactly the jids still pending, so a
  -- jid recorded before (a re-run after a crash) changes nothing, as in job_done.lua.
  local changed = srem_all(v.pending, first, last)
  if changed > 0 then
    -- A jid not pending is not in failed/dead either (job_failed/job_died keep it
    -- pending), so clearing the whole group from them is exact. Most batches have
    -- no failures: skip both when the sets are empty.
    if redis.call('EXISTS', v.failed) == 1 then srem_all(v.failed, first, last) end
    if redis.call('EXISTS', v.dead) == 1 then srem_all(v.dead, first, last) end
    evaluate(v, bid)
  end
  changed_total = changed_total + changed
  at = last + 1
end
return changed_total
