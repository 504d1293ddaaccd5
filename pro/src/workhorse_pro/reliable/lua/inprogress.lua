-- Prepended to the scripts that read in-progress hashes (see fetch.lua for the layout:
-- "<first seq>/<count>" -> cmsgpack array of jobs, "<field>:done" -> finished offsets).

-- The set of offsets listed in a ":done" value, and how many there are.
local function done_offsets(text)
  local set, count = {}, 0
  for offset in string.gmatch(text or '', '[^,]+') do
    set[tonumber(offset)] = true
    count = count + 1
  end
  return set, count
end

-- The jobs of one batch field, or the field's value as a single job when the field
-- is not a batch (a plain "<seq>" field holding one job, as tests and tools may write).
local function batch_jobs(field, value)
  if string.find(field, '/', 1, true) then
    local ok, jobs = pcall(cmsgpack.unpack, value)
    if ok and type(jobs) == 'table' then
      return jobs
    end
  end
  return {value}
end

-- Every unfinished job in `hash` as {field, offset, job}, in the order they were
-- fetched (oldest first).
local function unfinished(hash)
  local flat = redis.call('HGETALL', hash)
  local batches, done = {}, {}
  for i = 1, #flat, 2 do
    local field, value = flat[i], flat[i + 1]
    local of = string.match(field, '^(.*):done$')
    if of then
      done[of] = value
    else
      batches[#batches + 1] = {tonumber(string.match(field, '^%d+')) or 0, field, value}
    end
  end
  table.sort(batches, function(a, b) return a[1] < b[1] end)
  local jobs = {}
  for _, batch in ipairs(batches) do
    local finished = done_offsets(done[batch[2]])
    for offset, job in ipairs(batch_jobs(batch[2], batch[3])) do
      if not finished[offset] then
        jobs[#jobs + 1] = {batch[2], offset, job}
      end
    end
  end
  return jobs
end
