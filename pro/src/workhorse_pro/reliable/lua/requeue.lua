-- Put unfinished jobs back at the head (right end) of their queues, each only if
-- this process still holds it unfinished, so a job that orphan recovery already
-- moved (or that finished) is never pushed twice. A pushed job counts as done in
-- its fetch; a fetch with every job done is deleted.
-- KEYS: pairs (queue:<name>, in-progress hash);
-- ARGV: triples (index of the pair, fetch field, 1-based offset), newest job first.
-- Returns the number of jobs requeued.
-- Each fetch is read once and written once, however many of its jobs move (a
-- shutdown pushes back whole fetches of hundreds).
local fetches, order, moved = {}, {}, 0

local function fetch_of(pair, field)
  local id = pair .. '|' .. field
  local fetch = fetches[id]
  if fetch == nil then
    local hash = KEYS[2 * pair]
    local value = redis.call('HGET', hash, field)
    fetch = false
    if value then
      local done = redis.call('HGET', hash, field .. ':done') or ''
      local finished, count = done_offsets(done)
      fetch = {hash = hash, field = field, value = value, finished = finished,
               count = count, done = {done ~= '' and done or nil}}
      order[#order + 1] = fetch
    end
    fetches[id] = fetch
  end
  return fetch
end

for a = 1, #ARGV, 3 do
  local pair, field, offset = tonumber(ARGV[a]), ARGV[a + 1], tonumber(ARGV[a + 2])
  local fetch = fetch_of(pair, field)
  if fetch and not fetch.finished[offset] then
    local job, size = fetch_job(field, fetch.value, offset)
    fetch.size = size
    if job then
      redis.call('RPUSH', KEYS[2 * pair - 1], job)
      moved = moved + 1
      fetch.finished[offset] = true
      fetch.count = fetch.count + 1
      fetch.done[#fetch.done + 1] = offset
    end
  end
end

for _, fetch in ipairs(order) do
  if fetch.size == nil then -- nothing of it moved: only its size is needed
    local _, size = fetch_job(fetch.field, fetch.value, 1)
    fetch.size = size
  end
  if fetch.count >= fetch.size then
    drop_fetch(fetch.hash, fetch.field, fetch.value)
  elseif #fetch.done > 0 then
    redis.call('HSET', fetch.hash, fetch.field .. ':done', table.concat(fetch.done, ','))
  end
end
return moved
