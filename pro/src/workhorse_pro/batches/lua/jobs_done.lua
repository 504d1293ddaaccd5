-- Batch jobs succeeded, possibly in several batches: one call records a whole
-- group (tracking.DoneRecorder), so batch jobs cost a fraction of a round trip.
-- KEYS: queues, then one view per batch (2, 9, 16, ...).
-- ARGV: now, stamp, jid prefix, then per batch (in KEYS order): bid, count, jids.
-- Idempotent per jid, like job_done.lua. Returns how many jids changed a batch.
local changed_total, at = 0, 4
for b = 0, (#KEYS - 1) / 7 - 1 do
  local v = view(2 + 7 * b)
  local bid, count = ARGV[at], tonumber(ARGV[at + 1])
  local changed = 0
  -- Most batches have no failures: skip two SREMs per job when the sets are empty.
  local failed = redis.call('EXISTS', v.failed) == 1
  local dead = redis.call('EXISTS', v.dead) == 1
  for i = at + 2, at + 1 + count do
    if redis.call('SREM', v.pending, ARGV[i]) == 1 then
      if failed then redis.call('SREM', v.failed, ARGV[i]) end
      if dead then redis.call('SREM', v.dead, ARGV[i]) end
      changed = changed + 1
    end
  end
  if changed > 0 then evaluate(v, bid) end
  changed_total = changed_total + changed
  at = at + 2 + count
end
return changed_total
