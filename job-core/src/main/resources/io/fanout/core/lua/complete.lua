-- Counts finished tasks of one job exactly once, and finishes the job exactly once.
-- A task's bit goes from 0 to 1 only on its first outcome; only then is it counted, so a task
-- re-run after a crash or a rebalance changes nothing. A first failure is also listed with its
-- error. The call that brings done + failed to total moves the job to its final state, says so,
-- remembers one task it counted (the finisher), and queues the job's topics for deletion after
-- their retention time.
-- Workers call this just before the Kafka transaction that logs these outcomes and commits their
-- offsets. If that transaction does not commit, the tasks run again and come back here counted
-- but not logged (the logged bit is set only after a commit): they are to be logged then, and
-- the finisher among them makes the job's end be announced again.
-- Successes, thousands per call, are set with one BITFIELD per thousand rather than a SETBIT
-- each: per task that is the difference between a Redis command and a few list entries.
-- KEYS[1] job hash, KEYS[2] done bitmap, KEYS[3] failed bitmap, KEYS[4] active set,
-- KEYS[5] running-jobs index, KEYS[6] failures list, KEYS[7] finished-topics set,
-- KEYS[8] logged bitmap
-- ARGV[1] job id, ARGV[2] now (ms), ARGV[3] result of a single-task job ('' otherwise),
-- ARGV[4] the job's last log record ('' for none), ARGV[5] how many tasks succeeded (n),
-- ARGV[6] status index key prefix, ARGV[7] how many values to add to the job's reduced sum
-- follow the successes (0 or n),
-- ARGV[8 ..] the n successes' indexes, then their n values to add (if any), then pairs
-- (index, failure record JSON) for tasks that failed for good.
-- Returns {done, failed, status, finished now (0|1), how many were counted now, then the
-- positions (1-based, successes first, ascending) of the outcomes not to log}: an outcome is
-- logged when it was counted now, or counted before but never logged.
local CHUNK = 1000

-- The old values of one bit per index, from BITFIELD GET or SET ops sent a chunk at a time.
local function bits(key, op, indexes)
  local old = {}
  for from = 1, #indexes, CHUNK do
    local args = {}
    for i = from, math.min(from + CHUNK - 1, #indexes) do
      args[#args + 1] = op
      args[#args + 1] = 'u1'
      args[#args + 1] = indexes[i]
      if op == 'SET' then
        args[#args + 1] = 1
      end
    end
    for _, value in ipairs(redis.call('BITFIELD', key, unpack(args))) do
      old[#old + 1] = value
    end
  end
  return old
end

local status = redis.call('HGET', KEYS[1], 'status')
local counting = status == 'running'
if not counting and status ~= 'completed' and status ~= 'failed' then
  -- Cancelled, queued for a retry run, or deleted: late outcomes change nothing.
  local counts = redis.call('HMGET', KEYS[1], 'done', 'failed')
  return {tonumber(counts[1]) or 0, tonumber(counts[2]) or 0, status or 'unknown', 0, 0}
end
local succeeded = tonumber(ARGV[5])
local sums = tonumber(ARGV[7])
local firstArg = 8
local failuresArg = firstArg + succeeded + sums

local firsts = {}
local notToLog = {}
-- Outcomes counted before: rare (re-runs), so they are checked one command at a time.
local logChecked = nil
local function checkRepeat(position, index)
  if logChecked == nil then
    logChecked = {}
    for _, first in ipairs(firsts) do
      logChecked[first] = true
    end
  end
  local counted = redis.call('GETBIT', KEYS[2], index) == 1 or redis.call('GETBIT', KEYS[3], index) == 1
  if logChecked[index] or not counted or redis.call('GETBIT', KEYS[8], index) == 1 then
    notToLog[#notToLog + 1] = position
  end
  logChecked[index] = true
end

local newDone, newFailed, reduced = 0, 0, 0
if succeeded > 0 then
  local indexes = {}
  for i = 1, succeeded do
    indexes[i] = ARGV[firstArg + i - 1]
  end
  -- A task that failed for good is not counted as done by a late success; failed bits exist
  -- only for jobs with such failures, so most jobs skip this read.
  local failedBefore = counting and redis.call('EXISTS', KEYS[3]) == 1 and bits(KEYS[3], 'GET', indexes) or nil
  local settable = {}
  for i = 1, succeeded do
    if counting and not (failedBefore and failedBefore[i] == 1) then
      settable[#settable + 1] = i
    end
  end
  local settableIndexes = {}
  for j, i in ipairs(settable) do
    settableIndexes[j] = indexes[i]
  end
  local wasDone = bits(KEYS[2], 'SET', settableIndexes)
  local firstTime = {}
  for j, i in ipairs(settable) do
    -- The second of two equal indexes in one batch finds the bit the first one set.
    if wasDone[j] == 0 then
      firstTime[i] = true
      firsts[#firsts + 1] = indexes[i]
      newDone = newDone + 1
      if sums > 0 then
        reduced = reduced + tonumber(ARGV[firstArg + succeeded + i - 1])
      end
    end
  end
  for i = 1, succeeded do
    if not firstTime[i] then
      checkRepeat(i, indexes[i])
    end
  end
end
for arg = failuresArg, #ARGV, 2 do
  local position = succeeded + (arg - failuresArg) / 2 + 1
  local index, record = ARGV[arg], ARGV[arg + 1]
  if counting and (logChecked == nil or not logChecked[index]) and redis.call('GETBIT', KEYS[2], index) == 0
      and redis.call('SETBIT', KEYS[3], index, 1) == 0 then
    newFailed = newFailed + 1
    firsts[#firsts + 1] = index
    if logChecked then
      logChecked[index] = true
    end
    redis.call('RPUSH', KEYS[6], record)
  else
    checkRepeat(position, index)
  end
end

local finishedNow = 0
local done, failed
if counting then
  done = redis.call('HINCRBY', KEYS[1], 'done', newDone)
  failed = redis.call('HINCRBY', KEYS[1], 'failed', newFailed)
  if sums > 0 and newDone > 0 then
    redis.call('HINCRBYFLOAT', KEYS[1], 'reduced', reduced)
  end
  local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
  redis.call('HSET', KEYS[1], 'updatedAt', ARGV[2])
  if #firsts > 0 and ARGV[4] ~= '' then
    redis.call('HSET', KEYS[1], 'lastLog', ARGV[4])
  end
  if done + failed >= total then
    status = failed > 0 and 'failed' or 'completed'
    local result = ARGV[3]
    if total ~= 1 or result == '' then
      local summary = {tasks = total, done = done, failed = failed}
      local sum = redis.call('HGET', KEYS[1], 'reduced')
      if sum then
        summary['value'] = tonumber(sum)
      end
      result = cjson.encode(summary)
    end
    redis.call('HSET', KEYS[1], 'status', status, 'finishedAt', ARGV[2], 'result', result, 'finisher', firsts[1] or '')
    redis.call('ZREM', KEYS[4], ARGV[1])
    redis.call('ZREM', KEYS[5], ARGV[1])
    redis.call('ZADD', ARGV[6] .. status, redis.call('HGET', KEYS[1], 'arrival'), ARGV[1])
    redis.call('ZADD', KEYS[7], ARGV[2], ARGV[1])
    finishedNow = 1
  end
else
  local fields = redis.call('HMGET', KEYS[1], 'done', 'failed', 'finisher')
  done, failed = tonumber(fields[1]), tonumber(fields[2])
  -- The job ended in a batch whose log never committed: its end is told again with its finisher.
  local skipped = {}
  for _, position in ipairs(notToLog) do
    skipped[position] = true
  end
  local given = succeeded + (#ARGV - failuresArg + 1) / 2
  for position = 1, given do
    local arg = position <= succeeded and firstArg + position - 1 or failuresArg + 2 * (position - succeeded - 1)
    if not skipped[position] and ARGV[arg] == fields[3] then
      finishedNow = 1
    end
  end
end
local reply = {done, failed, status, finishedNow, #firsts}
for _, position in ipairs(notToLog) do
  reply[#reply + 1] = position
end
return reply
