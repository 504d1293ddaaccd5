-- Prepended to the scripts that read in-progress hashes (see fetch.lua for the layout:
-- field "<first seq>+<count>" -> the name of the list holding its jobs, newest first;
-- "<field>:done" -> the finished offsets). Those lists are not in KEYS, as their
-- names are read here; they share the prefix, so its hash tag keeps them in the
-- same cluster slot as every other key.

-- The set of offsets listed in a ":done" value, and how many there are.
local function done_offsets(text)
  local set, count = {}, 0
  for offset in string.gmatch(text or '', '[^,]+') do
    set[tonumber(offset)] = true
    count = count + 1
  end
  return set, count
end

-- The list holding the jobs of a "<first>+<count>" field (its value), or nil.
local function fetch_list(field, value)
  if string.find(field, '+', 1, true) then
    return value
  end
  return nil
end

-- The jobs of one fetch field, oldest first, or the field's value as a single job
-- when the field names no fetch list (a plain "<seq>" field, as tests and tools may write).
local function fetch_jobs(field, value)
  local list = fetch_list(field, value)
  if list then
    local newest_first = redis.call('LRANGE', list, 0, -1)
    local jobs, count = {}, #newest_first
    for i = 1, count do
      jobs[i] = newest_first[count + 1 - i]
    end
    return jobs
  end
  return {value}
end

-- One job of a fetch (1-based offset, oldest first) or false, and the fetch's size;
-- a fetch list is read one element at a time, not whole for every job.
local function fetch_job(field, value, offset)
  local list = fetch_list(field, value)
  if list then
    return redis.call('LINDEX', list, -offset), tonumber(string.match(field, '%+(%d+)$'))
  end
  local jobs = fetch_jobs(field, value)
  return jobs[offset] or false, #jobs
end

-- Forget a fetch: its fields and its list.
local function drop_fetch(hash, field, value)
  local list = fetch_list(field, value)
  if list then
    redis.call('DEL', list)
  end
  redis.call('HDEL', hash, field, field .. ':done')
end

-- Forget every fetch of an in-progress hash, and the hash.
local function drop_all(hash)
  local flat = redis.call('HGETALL', hash)
  for i = 1, #flat, 2 do
    local list = fetch_list(flat[i], flat[i + 1])
    if list then
      redis.call('DEL', list)
    end
  end
  redis.call('DEL', hash)
end

-- Every unfinished job in `hash` as {field, offset, job}, in the order they were
-- fetched (oldest first).
local function unfinished(hash)
  local flat = redis.call('HGETALL', hash)
  local fetches, done = {}, {}
  for i = 1, #flat, 2 do
    local field, value = flat[i], flat[i + 1]
    local of = string.match(field, '^(.*):done$')
    if of then
      done[of] = value
    else
      fetches[#fetches + 1] = {tonumber(string.match(field, '^%d+')) or 0, field, value}
    end
  end
  table.sort(fetches, function(a, b) return a[1] < b[1] end)
  local jobs = {}
  for _, fetch in ipairs(fetches) do
    local finished = done_offsets(done[fetch[2]])
    for offset, job in ipairs(fetch_jobs(fetch[2], fetch[3])) do
      if not finished[offset] then
        jobs[#jobs + 1] = {fetch[2], offset, job}
      end
    end
  end
  return jobs
end
