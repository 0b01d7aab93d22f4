-- Counts finished tasks of one job exactly once, and finishes the job exactly once.
-- A task's bit goes from 0 to 1 only on its first outcome; only then is it counted, so a task
-- re-run after a crash or a rebalance changes nothing. A first failure is also listed with its
-- error. The call that brings done + failed to total moves the job to its final state, says so,
-- and remembers one task it counted (the finisher); but only once every task counted before it is
-- logged (see unloggedElsewhere below).
-- Workers call this just before the Kafka transaction that logs these outcomes and commits their
-- offsets. If that transaction does not commit, the tasks run again and come back here counted
-- but not logged (the logged bit is set only after a commit): they are to be logged then, and
-- the finisher among them makes the job's end be announced again.
-- Successes come as pieces of a bitmap (TaskBits): the done bitmap is read, merged and written a
-- piece at a time, eight tasks per step, so a batch of thousands costs a few commands. Repeats
-- are rare (re-runs) and are looked at one by one.
-- The job's keys only: the queue (active set, indexes, finished topics) takes a job's end in
-- next, from the job's hash (project.lua), or the repair sweep does if this worker dies first.
-- KEYS[1] job hash, KEYS[2] done bitmap, KEYS[3] failed bitmap, KEYS[4] failures list,
-- KEYS[5] logged bitmap, KEYS[6..8] scratch keys, deleted before the script returns
-- ARGV[1] now (ms), ARGV[2] result of a single-task job ('' otherwise),
-- ARGV[3] the job's last log record ('' for none),
-- ARGV[4] how many outcomes this call brings, if the job is to end only once every task counted
-- before is logged (see below), else 0,
-- ARGV[5] how many pieces of successes follow, then each one's byte offset and bytes;
-- then how many pairs (index, value to add to the job's reduced sum) follow, and those pairs;
-- then pairs (index, failure record JSON) for tasks that failed for good, to the end.
-- Returns {done, failed, status, finished now (0|1), how many were counted now, how many tasks
-- counted before are not yet logged if that kept this call from ending the job (else 0), then the
-- indexes not to log}. Outcomes counted now, and repeats counted before but never logged, are to be
-- logged; for a job that is neither running nor ended (cancelled, queued again, deleted) nothing is.
local status = redis.call('HGET', KEYS[1], 'status')
local counting = status == 'running'
if not counting and status ~= 'completed' and status ~= 'failed' then
  -- Cancelled, queued for a retry run, or deleted: late outcomes change nothing.
  local counts = redis.call('HMGET', KEYS[1], 'done', 'failed')
  return {tonumber(counts[1]) or 0, tonumber(counts[2]) or 0, status or 'unknown', 0, 0, 0}
end

local BIT = {128, 64, 32, 16, 8, 4, 2, 1}
local POPCOUNT = {[0] = 0}
for value = 1, 255 do
  POPCOUNT[value] = POPCOUNT[math.floor(value / 2)] + value % 2
end

-- The index of the first task set in this byte of the bitmap (value is not 0).
local function firstTask(byteOffset, value)
  local j = 1
  while bit.band(value, BIT[j]) == 0 do
    j = j + 1
  end
  return byteOffset * 8 + j - 1
end

-- A string of these byte values, built in slices (unpack takes a few thousand values at most).
local function bytesOf(values)
  local slices = {}
  for from = 1, #values, 4096 do
    slices[#slices + 1] = string.char(unpack(values, from, math.min(from + 4095, #values)))
  end
  return table.concat(slices)
end

local newDone, newFailed, reduced = 0, 0, 0
local hasReduced = false
local finisher = nil
local repeats = {}
local countedBits = {}
local failedBefore = counting and redis.call('EXISTS', KEYS[3]) == 1

local pieces = tonumber(ARGV[5])
local arg = 6 + 2 * pieces
local sums = tonumber(ARGV[arg])
local failuresFrom = arg + 1 + 2 * sums

-- A job ends only once every task counted before is in its log, so that its end (status, end
-- record, webhook) never comes before any task's record or result. A call that would end it while
-- tasks counted elsewhere are not yet logged (another worker's transaction not yet committed, or
-- one that died with its worker, whose tasks run again on the partition's next owner) changes
-- nothing and says how many there are: the worker brings these outcomes again in its next round.
-- A worker that has waited long enough asks with 0 (a lost mark must not hold a job for ever).
local function unloggedElsewhere()
  local fields = redis.call('HMGET', KEYS[1], 'done', 'failed', 'total')
  local before, total = (tonumber(fields[1]) or 0) + (tonumber(fields[2]) or 0), tonumber(fields[3])
  -- Nothing counted before (a one-task job, say): nothing to wait for, and no bitmap to read.
  if before == 0 or before + tonumber(ARGV[4]) < total then
    return 0
  end
  local new, unloggedHere = 0, 0
  for piece = 1, pieces do
    local offset, given = tonumber(ARGV[4 + 2 * piece]), ARGV[5 + 2 * piece]
    local last = offset + #given - 1
    local done = redis.call('GETRANGE', KEYS[2], offset, last)
    local failed = redis.call('GETRANGE', KEYS[3], offset, last)
    local logged = redis.call('GETRANGE', KEYS[5], offset, last)
    for k = 1, #given do
      local wanted = string.byte(given, k)
      local counted = bit.bor(string.byte(done, k) or 0, string.byte(failed, k) or 0)
      new = new + POPCOUNT[bit.band(wanted, bit.bnot(counted))]
      unloggedHere = unloggedHere + POPCOUNT[bit.band(wanted, counted, bit.bnot(string.byte(logged, k) or 0))]
    end
  end
  for i = failuresFrom, #ARGV, 2 do
    local index = ARGV[i]
    if redis.call('GETBIT', KEYS[2], index) == 0 and redis.call('GETBIT', KEYS[3], index) == 0 then
      new = new + 1
    elseif redis.call('GETBIT', KEYS[5], index) == 0 then
      unloggedHere = unloggedHere + 1
    end
  end
  if before + new < total then
    return 0
  end
  -- From the bitmaps, not the hash's counts: a job whose topics were retired lost its bitmaps
  -- and can run again (its failed tasks retried), and a late mark may set the logged bit of a task
  -- a retry has uncounted since. Tasks counted and not logged are counted minus counted-and-logged.
  redis.call('BITOP', 'OR', KEYS[6], KEYS[2], KEYS[3])
  redis.call('BITOP', 'AND', KEYS[7], KEYS[6], KEYS[5])
  local unlogged = redis.call('BITCOUNT', KEYS[6]) - redis.call('BITCOUNT', KEYS[7])
  redis.call('DEL', KEYS[6], KEYS[7])
  return unlogged - unloggedHere
end

if counting and tonumber(ARGV[4]) > 0 then
  local waiting = unloggedElsewhere()
  if waiting > 0 then
    local counts = redis.call('HMGET', KEYS[1], 'done', 'failed')
    return {tonumber(counts[1]) or 0, tonumber(counts[2]) or 0, status, 0, 0, waiting}
  end
end

-- The common round: a running job without failed tasks, none of whose successes was counted
-- before, their pieces close together. The range of the done bitmap they fall in is checked and
-- merged with BITOP, in C: a byte loop in Lua cost about a microsecond per task (a piece of one
-- partition's tasks has a bit in every byte). The range goes through the script and the AOF
-- whole, so pieces far apart (a sparse retry run) take the loop below, as does any other round.
local fast = false
local low, high, givenBytes = math.huge, -1, 0
for i = 6, arg - 1, 2 do
  low = math.min(low, tonumber(ARGV[i]))
  high = math.max(high, tonumber(ARGV[i]) + #ARGV[i + 1] - 1)
  givenBytes = givenBytes + #ARGV[i + 1]
end
if counting and not failedBefore and pieces > 0 and high - low + 1 <= 2 * givenBytes + 64 then
  -- Left over only if an earlier call failed halfway: its bytes must not count here.
  redis.call('DEL', KEYS[6], KEYS[7], KEYS[8])
  for i = 6, arg - 1, 2 do
    redis.call('SETRANGE', KEYS[6], tonumber(ARGV[i]) - low, ARGV[i + 1])
  end
  redis.call('SET', KEYS[7], redis.call('GETRANGE', KEYS[2], low, high))
  redis.call('BITOP', 'AND', KEYS[8], KEYS[6], KEYS[7])
  if redis.call('BITCOUNT', KEYS[8]) == 0 then
    fast = true
    newDone = redis.call('BITCOUNT', KEYS[6])
    redis.call('BITOP', 'OR', KEYS[7], KEYS[7], KEYS[6])
    redis.call('SETRANGE', KEYS[2], low, redis.call('GET', KEYS[7]))
    -- Pieces are sorted, and each starts at a byte holding one of its tasks.
    finisher = firstTask(tonumber(ARGV[6]), string.byte(ARGV[7], 1))
  end
  redis.call('DEL', KEYS[6], KEYS[7], KEYS[8])
end

for piece = 1, fast and 0 or pieces do
  local offset, given = tonumber(ARGV[4 + 2 * piece]), ARGV[5 + 2 * piece]
  local last = offset + #given - 1
  local done = redis.call('GETRANGE', KEYS[2], offset, last)
  -- A task that failed for good is not counted as done by a late success.
  local failed = failedBefore and redis.call('GETRANGE', KEYS[3], offset, last) or ''
  local merged = {}
  local changed = false
  for k = 1, #given do
    local wanted = string.byte(given, k)
    local doneByte = string.byte(done, k) or 0
    local before = bit.bor(doneByte, string.byte(failed, k) or 0)
    local new = counting and bit.band(wanted, bit.bnot(before)) or 0
    if new ~= 0 then
      changed = true
      newDone = newDone + POPCOUNT[new]
      countedBits[offset + k - 1] = new
      finisher = finisher or firstTask(offset + k - 1, new)
    end
    local again = bit.band(wanted, bit.bnot(new))
    if again ~= 0 then
      for j = 1, 8 do
        if bit.band(again, BIT[j]) ~= 0 then
          repeats[#repeats + 1] = (offset + k - 1) * 8 + j - 1
        end
      end
    end
    merged[k] = bit.bor(doneByte, new)
  end
  if changed then
    redis.call('SETRANGE', KEYS[2], offset, bytesOf(merged))
  end
end

for i = arg + 1, arg + 2 * sums, 2 do
  local index = tonumber(ARGV[i])
  if fast or bit.band(countedBits[math.floor(index / 8)] or 0, BIT[index % 8 + 1]) ~= 0 then
    reduced = reduced + tonumber(ARGV[i + 1])
    hasReduced = true
  end
end

for i = failuresFrom, #ARGV, 2 do
  local index, record = ARGV[i], ARGV[i + 1]
  if counting and redis.call('GETBIT', KEYS[2], index) == 0 and redis.call('SETBIT', KEYS[3], index, 1) == 0 then
    newFailed = newFailed + 1
    finisher = finisher or index
    redis.call('RPUSH', KEYS[4], record)
  else
    repeats[#repeats + 1] = index
  end
end

-- A repeat is logged again only if it was counted and its log record never committed.
local notToLog = {}
local loggedAgain = {}
for _, index in ipairs(repeats) do
  local counted = redis.call('GETBIT', KEYS[2], index) == 1 or redis.call('GETBIT', KEYS[3], index) == 1
  if not counted or redis.call('GETBIT', KEYS[5], index) == 1 then
    notToLog[#notToLog + 1] = index
  else
    loggedAgain[tostring(index)] = true
  end
end

local finishedNow = 0
local done, failed
if counting then
  done = redis.call('HINCRBY', KEYS[1], 'done', newDone)
  failed = redis.call('HINCRBY', KEYS[1], 'failed', newFailed)
  if hasReduced then
    redis.call('HINCRBYFLOAT', KEYS[1], 'reduced', reduced)
  end
  local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
  redis.call('HSET', KEYS[1], 'updatedAt', ARGV[1])
  if finisher and ARGV[3] ~= '' then
    redis.call('HSET', KEYS[1], 'lastLog', ARGV[3])
  end
  if done + failed >= total then
    status = failed > 0 and 'failed' or 'completed'
    local result = ARGV[2]
    if total ~= 1 or result == '' then
      local summary = {tasks = total, done = done, failed = failed}
      local sum = redis.call('HGET', KEYS[1], 'reduced')
      if sum then
        summary['value'] = tonumber(sum)
      end
      result = cjson.encode(summary)
    end
    redis.call('HSET', KEYS[1], 'status', status, 'finishedAt', ARGV[1], 'result', result,
      'finisher', finisher and tostring(finisher) or '')
    redis.call('HINCRBY', KEYS[1], 'version', 1)
    finishedNow = 1
  end
else
  local fields = redis.call('HMGET', KEYS[1], 'done', 'failed', 'finisher')
  done, failed = tonumber(fields[1]), tonumber(fields[2])
  -- The job ended in a batch whose log never committed: its end is told again with its finisher.
  if fields[3] and loggedAgain[fields[3]] then
    finishedNow = 1
  end
end
local reply = {done, failed, status, finishedNow, newDone + newFailed, 0}
for _, index in ipairs(notToLog) do
  reply[#reply + 1] = index
end
return reply
