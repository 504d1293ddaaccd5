-- Read only: how many unfinished jobs each in-progress hash in KEYS holds.
-- (The values are binary, so they are counted here rather than sent to the client.)
local counts = {}
for i, hash in ipairs(KEYS) do
  counts[i] = #unfinished(hash)
end
return counts
