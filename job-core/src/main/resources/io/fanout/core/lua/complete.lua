-- Counts finished tasks of one job exactly once, and finishes the job exactly once.
-- A task's bit goes from 0 to 1 only on its first outcome; only then is it counted, so a task
-- re-run after a crash or a rebalance changes nothing. The call that brings done + failed to
-- total moves the job to its final state and says so.
-- KEYS[1] job hash, KEYS[2] done bitmap, KEYS[3] failed bitmap, KEYS[4] active set,
-- KEYS[5] running-jobs index
-- ARGV[1] job id, ARGV[2] now (ms), ARGV[3] result of a single-task job ('' otherwise),
-- ARGV[4] the job's last log record ('' for none), ARGV[5] how many indexes succeeded (n),
-- ARGV[6] status index key prefix, ARGV[7 .. 6+n] indexes that succeeded, ARGV[7+n ..] indexes
-- that failed for good
-- Returns {done, failed, status, finished now (0|1), first-counted indexes...}
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'running' then
  -- Finished, cancelled or deleted: late or repeated outcomes change nothing.
  local counts = redis.call('HMGET', KEYS[1], 'done', 'failed')
  return {tonumber(counts[1]) or 0, tonumber(counts[2]) or 0, status or 'unknown', 0}
end
local succeeded = tonumber(ARGV[5])
local firsts = {}
local newDone, newFailed = 0, 0
for i = 7, #ARGV do
  local index = ARGV[i]
  if i < 7 + succeeded then
    if redis.call('GETBIT', KEYS[3], index) == 0 and redis.call('SETBIT', KEYS[2], index, 1) == 0 then
      newDone = newDone + 1
      firsts[#firsts + 1] = index
    end
  elseif redis.call('GETBIT', KEYS[2], index) == 0 and redis.call('SETBIT', KEYS[3], index, 1) == 0 then
    newFailed = newFailed + 1
    firsts[#firsts + 1] = index
  end
end
local done = redis.call('HINCRBY', KEYS[1], 'done', newDone)
local failed = redis.call('HINCRBY', KEYS[1], 'failed', newFailed)
local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[2])
if #firsts > 0 and ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'lastLog', ARGV[4])
end
local finishedNow = 0
if done + failed >= total then
  status = failed > 0 and 'failed' or 'completed'
  local result = ARGV[3]
  if total ~= 1 or result == '' then
    result = cjson.encode({tasks = total, done = done, failed = failed})
  end
  redis.call('HSET', KEYS[1], 'status', status, 'finishedAt', ARGV[2], 'result', result)
  redis.call('ZREM', KEYS[4], ARGV[1])
  redis.call('ZREM', KEYS[5], ARGV[1])
  redis.call('ZADD', ARGV[6] .. status, redis.call('HGET', KEYS[1], 'arrival'), ARGV[1])
  finishedNow = 1
end
local reply = {done, failed, status, finishedNow}
for i = 1, #firsts do
  reply[#reply + 1] = firsts[i]
end
return reply
