-- Write a batch of completion records (issue 18): each replaces its key's one-element list.
-- KEYS[i]: result:<jid> of record i; ARGV[2i-1]: its TTL in seconds; ARGV[2i]: the record.
-- One call per batch: packing three commands per record was most of the cost of results.
for i, key in ipairs(KEYS) do
  redis.call('DEL', key)
  redis.call('RPUSH', key, ARGV[2 * i])
  redis.call('EXPIRE', key, ARGV[2 * i - 1])
end
return #KEYS
