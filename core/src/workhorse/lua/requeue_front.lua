-- Put jobs back at the head (right end) of their queues, as Sidekiq does on shutdown.
-- KEYS: the queue lists; ARGV: pairs (index into KEYS, job).
for i = 1, #ARGV, 2 do
  redis.call('RPUSH', KEYS[tonumber(ARGV[i])], ARGV[i + 1])
end
return #ARGV / 2
