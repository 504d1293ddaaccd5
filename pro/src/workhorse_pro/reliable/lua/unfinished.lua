-- Read only: the unfinished jobs of one in-progress hash, oldest first.
-- KEYS[1]: the in-progress hash. Returns a flat list of jobs.
local jobs = {}
for i, entry in ipairs(unfinished(KEYS[1])) do
  jobs[i] = entry[3]
end
return jobs
