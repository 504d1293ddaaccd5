-- Put unfinished jobs back at the head (right end) of their queues, each only if
-- this process still holds it unfinished, so a job that orphan recovery already
-- moved (or that finished) is never pushed twice. A pushed job counts as done in
-- its batch; a batch with every job done is deleted.
-- KEYS: pairs (queue:<name>, in-progress hash);
-- ARGV: triples (index of the pair, batch field, 1-based offset), newest job first.
-- Returns the number of jobs requeued.
-- Each batch is read once and written once, however many of its jobs move (a
-- shutdown pushes back whole batches of hundreds).
local batches, order, moved = {}, {}, 0

local function batch_of(pair, field)
  local id = pair .. '|' .. field
  local batch = batches[id]
  if batch == nil then
    local hash = KEYS[2 * pair]
    local value = redis.call('HGET', hash, field)
    batch = false
    if value then
      local done = redis.call('HGET', hash, field .. ':done') or ''
      local finished, count = done_offsets(done)
      batch = {hash = hash, field = field, value = value, finished = finished,
               count = count, done = {done ~= '' and done or nil}}
      order[#order + 1] = batch
    end
    batches[id] = batch
  end
  return batch
end

for a = 1, #ARGV, 3 do
  local pair, field, offset = tonumber(ARGV[a]), ARGV[a + 1], tonumber(ARGV[a + 2])
  local batch = batch_of(pair, field)
  if batch and not batch.finished[offset] then
    local job, size = batch_job(field, batch.value, offset)
    batch.size = size
    if job then
      redis.call('RPUSH', KEYS[2 * pair - 1], job)
      moved = moved + 1
      batch.finished[offset] = true
      batch.count = batch.count + 1
      batch.done[#batch.done + 1] = offset
    end
  end
end

for _, batch in ipairs(order) do
  if batch.size == nil then -- nothing of it moved: only its size is needed
    local _, size = batch_job(batch.field, batch.value, 1)
    batch.size = size
  end
  if batch.count >= batch.size then
    drop_batch(batch.hash, batch.field, batch.value)
  elseif #batch.done > 0 then
    redis.call('HSET', batch.hash, batch.field .. ':done', table.concat(batch.done, ','))
  end
end
return moved
