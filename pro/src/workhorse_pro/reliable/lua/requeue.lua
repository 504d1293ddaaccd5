-- Put unfinished jobs back at the head (right end) of their queues, each only if
-- this process still holds it unfinished, so a job that orphan recovery already
-- moved (or that finished) is never pushed twice. A pushed job counts as done in
-- its batch; a batch with every job done is deleted.
-- KEYS: pairs (queue:<name>, in-progress hash);
-- ARGV: triples (index of the pair, batch field, 1-based offset), newest job first.
-- Returns the number of jobs requeued.
local moved = 0
for a = 1, #ARGV, 3 do
  local pair, field, offset = tonumber(ARGV[a]), ARGV[a + 1], tonumber(ARGV[a + 2])
  local hash = KEYS[2 * pair]
  local value = redis.call('HGET', hash, field)
  if value then
    local jobs = batch_jobs(field, value)
    local done_field = field .. ':done'
    local done = redis.call('HGET', hash, done_field) or ''
    local finished, count = done_offsets(done)
    if jobs[offset] and not finished[offset] then
      redis.call('RPUSH', KEYS[2 * pair - 1], jobs[offset])
      moved = moved + 1
      count = count + 1
      done = done == '' and tostring(offset) or (done .. ',' .. offset)
    end
    if count >= #jobs then
      drop_batch(hash, field, value)
    else
      redis.call('HSET', hash, done_field, done)
    end
  end
end
return moved
