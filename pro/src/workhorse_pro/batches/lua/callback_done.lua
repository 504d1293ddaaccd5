-- A callback job finished its work. KEYS: queues, view(2) of the batch, then
-- view(9) of its parent when ARGV[6] (parent bid) is not empty.
-- ARGV: now, stamp, jid prefix, bid, event, parent bid, linger seconds.
-- Idempotent: a callback job that runs again after a crash changes nothing.
local v = view(2)
local bid, event, parent, linger = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
local state = redis.call('HGET', v.h, event)
if state ~= 'queued' then return 0 end
redis.call('HSET', v.h, event, 'done')
local p = nil
if parent ~= '' and redis.call('EXISTS', KEYS[9]) == 1 then p = view(9) end

if event == 'complete' then
  evaluate(v, bid)  -- may fire this batch's success
  -- A child that is about to succeed reports to its parent after its success
  -- callback, so the parent's callbacks come after all of the child's.
  if p and not redis.call('HGET', v.h, 'success') then
    redis.call('SREM', p.kids, bid)
    evaluate(p, parent)
  end
elseif event == 'success' then
  if p then
    redis.call('SREM', p.kids, bid)
    redis.call('SREM', p.kids_ok, bid)
    evaluate(p, parent)
  end
  expire_all(v, linger)
elseif event == 'death' then
  if p and not redis.call('HGET', p.h, 'death') then fire(p, parent, 'death') end
end
return 1
