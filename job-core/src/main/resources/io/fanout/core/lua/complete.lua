-- Counts finished tasks of one job exactly once, and finishes the job exactly once.
-- A task's bit goes from 0 to 1 only on its first outcome; only then is it counted, so a task
-- re-run after a crash or a rebalance changes nothing. A first failure is also listed with its
-- error. The call that brings done + failed to total moves the job to its final state, says so,
-- remembers one task it counted (the finisher), and queues the job's topics for deletion after
-- their retention time.
-- Workers call this just before the Kafka transaction that logs these outcomes and commits their
-- offsets. If that transaction does not commit, the tasks run again and come back here counted
-- but not logged (the logged bit is set only after a commit): they are returned to be logged,
-- and the finisher among them makes the job's end be announced again.
-- KEYS[1] job hash, KEYS[2] done bitmap, KEYS[3] failed bitmap, KEYS[4] active set,
-- KEYS[5] running-jobs index, KEYS[6] failures list, KEYS[7] finished-topics set,
-- KEYS[8] logged bitmap
-- ARGV[1] job id, ARGV[2] now (ms), ARGV[3] result of a single-task job ('' otherwise),
-- ARGV[4] the job's last log record ('' for none), ARGV[5] how many tasks succeeded (n),
-- ARGV[6] status index key prefix,
-- ARGV[7 ..] n pairs (index, value to add to the job's reduced sum, '' for none) for successes,
-- then pairs (index, failure record JSON) for tasks that failed for good
-- Returns {done, failed, status, finished now (0|1), how many were counted now (k),
-- the k indexes counted now, then indexes counted before but never logged}: the caller logs both.
local status = redis.call('HGET', KEYS[1], 'status')
local counting = status == 'running'
if not counting and status ~= 'completed' and status ~= 'failed' then
  -- Cancelled, queued for a retry run, or deleted: late outcomes change nothing.
  local counts = redis.call('HMGET', KEYS[1], 'done', 'failed')
  return {tonumber(counts[1]) or 0, tonumber(counts[2]) or 0, status or 'unknown', 0, 0}
end
local succeeded = tonumber(ARGV[5])
local firsts = {}
local unlogged = {}
local seen = {}
local newDone, newFailed, reduced = 0, 0, 0
local hasReduced = false
for i = 7, #ARGV, 2 do
  local index, extra = ARGV[i], ARGV[i + 1]
  local success = (i - 7) / 2 < succeeded
  if seen[index] then
    -- The same task twice in one batch (a dispatcher resumed after a crash wrote it twice).
  elseif counting and success and redis.call('GETBIT', KEYS[3], index) == 0
      and redis.call('SETBIT', KEYS[2], index, 1) == 0 then
    newDone = newDone + 1
    firsts[#firsts + 1] = index
    if extra ~= '' then
      reduced = reduced + tonumber(extra)
      hasReduced = true
    end
  elseif counting and not success and redis.call('GETBIT', KEYS[2], index) == 0
      and redis.call('SETBIT', KEYS[3], index, 1) == 0 then
    newFailed = newFailed + 1
    firsts[#firsts + 1] = index
    redis.call('RPUSH', KEYS[6], extra)
  elseif redis.call('GETBIT', KEYS[8], index) == 0
      and (redis.call('GETBIT', KEYS[2], index) == 1 or redis.call('GETBIT', KEYS[3], index) == 1) then
    unlogged[#unlogged + 1] = index
  end
  seen[index] = true
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
  for i = 1, #unlogged do
    if unlogged[i] == fields[3] then
      finishedNow = 1
    end
  end
end
local reply = {done, failed, status, finishedNow, #firsts}
for i = 1, #firsts do
  reply[#reply + 1] = firsts[i]
end
for i = 1, #unlogged do
  reply[#reply + 1] = unlogged[i]
end
return reply
