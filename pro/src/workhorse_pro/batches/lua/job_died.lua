-- A batch job died or was discarded. KEYS: queues, view(2). ARGV: now, stamp, jid prefix, bid, jid.
-- Records the jid as dead (and failed), and fires `death` the first time.
local v = view(2)
local bid, jid = ARGV[4], ARGV[5]
if redis.call('SISMEMBER', v.pending, jid) == 0 then return 0 end
if redis.call('SADD', v.dead, jid) == 1 then follow_ttl(v.h, v.dead) end
if redis.call('SADD', v.failed, jid) == 1 then
  follow_ttl(v.h, v.failed)
  evaluate(v, bid)
end
if not redis.call('HGET', v.h, 'death') then fire(v, bid, 'death') end
return 1
