-- Reliable fetch: record finished jobs, then move up to `want` jobs from the public
-- queues into this process's in-progress lists, skipping paused queues.
-- The jobs one call takes from one queue stay together, in a list of their own
-- (ReliableKeys.fetch_lists), copied from the queue's tail by SORT ... BY nosort LIMIT
-- ... STORE and trimmed off the queue (or, when it takes them all, the queue is
-- renamed to that list), so no job ever enters Lua: Redis hashes
-- every byte of every string a script handles, which was most of this script's
-- cost. The caller reads the lists in the same round trip. The in-progress hash
-- indexes them: field "<first>+<count>" -> the list's name. While only some jobs
-- of a fetch have finished, "<field>:done" lists their 1-based offsets (oldest
-- job first); when all have, the list and both fields go. This script runs once
-- per fetch, so it does not load the inprogress.lua prelude the other scripts
-- share: defining its functions on every call cost 5 % more Redis instructions.
-- KEYS[1]: `paused` set; KEYS[2]: reliable stats hash;
-- KEYS[3 .. 2+n]: queue:<name> lists (in the caller's strict/weighted order);
-- KEYS[3+n .. 2+2n]: the matching in-progress hashes of this process;
-- KEYS[3+2n .. 2+3n]: the lists this call may fill, one per queue; queue i's
--   fetch list starts at sequence number ARGV[3] + (i - 1) * want.
-- ARGV: want, n, first sequence number, expired count, then n queue names,
--       then n ack lists, one per queue: entries joined by ';', each either
--       "<field>" (every job of that fetch finished) or "<field>=<offsets>".
-- Returns {paused queue indexes, jobs taken per queue (n counts)}; queue i's jobs
-- are in KEYS[2 + 2n + i], newest first (the queue's own order).
local want = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local first = tonumber(ARGV[3])
local expired = tonumber(ARGV[4])

for i = 1, n do
  local acks = ARGV[4 + n + i]
  if acks ~= '' then
    local hash = KEYS[2 + n + i]
    for entry in string.gmatch(acks, '[^;]+') do
      local field, done = string.match(entry, '^([^=]+)=(.+)$')
      if field then
        if redis.call('HEXISTS', hash, field) == 1 then -- never outlive its fetch
          redis.call('HSET', hash, field .. ':done', done)
        end
      else
        local list = redis.call('HGET', hash, entry)
        if list then -- inprogress.lua's drop_fetch, inlined (see the note above)
          redis.call('DEL', list)
          redis.call('HDEL', hash, entry, entry .. ':done')
        end
      end
    end
  end
end
if expired > 0 then
  redis.call('HINCRBY', KEYS[2], 'expired', expired)
end

local paused, counts = {}, {}
local left = want
for i = 1, n do
  counts[i] = 0
  if redis.call('SISMEMBER', KEYS[1], ARGV[4 + i]) == 1 then
    paused[#paused + 1] = i
  elseif left > 0 then
    local queue = KEYS[2 + i]
    local length = redis.call('LLEN', queue)
    local take = math.min(left, length)
    if take > 0 then
      local list = KEYS[2 + 2 * n + i]
      if take == length then -- the whole queue: the queue becomes the fetch list, in O(1)
        redis.call('RENAME', queue, list)
      else
        redis.call('SORT', queue, 'BY', 'nosort', 'LIMIT', length - take, take, 'STORE', list)
        redis.call('LTRIM', queue, 0, length - take - 1)
      end
      redis.call('HSET', KEYS[2 + n + i], (first + (i - 1) * want) .. '+' .. take, list)
      counts[i] = take
      left = left - take
    end
  end
end
return {paused, counts}
