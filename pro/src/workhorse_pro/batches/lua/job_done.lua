-- A batch job succeeded. KEYS: queues, view(2). ARGV: now, stamp, jid prefix, bid, jid.
-- Idempotent per jid: a job run twice (reliable fetch after a crash) counts once.
local v = view(2)
local bid, jid = ARGV[4], ARGV[5]
if redis.call('SREM', v.pending, jid) == 0 then return 0 end
redis.call('SREM', v.failed, jid)
redis.call('SREM', v.dead, jid)
evaluate(v, bid)
return 1
