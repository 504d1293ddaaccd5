-- Pop up to ARGV[1] jobs from the queues in KEYS, in the order given
-- (the caller already applied strict or weighted order).
-- KEYS: queue:<name> lists. Returns a flat list: key index, job, key index, job...
local want = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  if want <= 0 then break end
  local got = redis.call('RPOP', key, want)
  if got then
    for _, job in ipairs(got) do
      out[#out + 1] = i
      out[#out + 1] = job
    end
    want = want - #got
  end
end
return out
