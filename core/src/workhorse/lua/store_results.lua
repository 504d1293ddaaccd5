-- Write a batch of completion records (issue 18).
-- KEYS[i]: result:<jid> of record i.
-- ARGV[1]: the TTLs in seconds, comma-separated; ARGV[2]: the records, newline-separated
-- (compact JSON never holds a raw newline). Two strings, not two arguments per record:
-- packing arguments was most of the client's cost. Each record is appended (a job run
-- again after a crash appends a newer one; readers take the last) and the key's TTL set.
local ttls = {}
for ttl in string.gmatch(ARGV[1], '[^,]+') do
  ttls[#ttls + 1] = ttl
end
local i = 0
for record in string.gmatch(ARGV[2], '[^\n]+') do
  i = i + 1
  redis.call('RPUSH', KEYS[i], record)
  redis.call('EXPIRE', KEYS[i], ttls[i])
end
return i
