-- A batch job raised (a retry may follow). KEYS: queues, view(2). ARGV: now, stamp, jid prefix, bid, jid.
-- Only the first failure of a pending job counts; it may complete the batch.
local v = view(2)
local bid, jid = ARGV[4], ARGV[5]
if redis.call('SISMEMBER', v.pending, jid) == 0 then return 0 end
if redis.call('SADD', v.failed, jid) == 0 then return 0 end
follow_ttl(v.h, v.failed)
evaluate(v, bid)
return 1
