-- Counts finished tasks of one job exactly once, and finishes the job exactly once.
-- A task's bit in the done bitmap goes from 0 to 1 only on its first completion; only then is
-- it counted. The call that brings done + failed to total moves the job to its final state.
-- KEYS[1] job hash, KEYS[2] done bitmap, KEYS[3] active set
-- ARGV[1] job id, ARGV[2] now (ms), ARGV[3] result of a single-task job ('' otherwise),
-- ARGV[4] the job's last log record ('' for none), ARGV[5..] task indexes
-- Returns {done, failed, status, first-completed indexes...}
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'running' then
  -- Finished, cancelled or deleted: late or repeated completions change nothing.
  local counts = redis.call('HMGET', KEYS[1], 'done', 'failed')
  return {tonumber(counts[1]) or 0, tonumber(counts[2]) or 0, status or 'unknown'}
end
local firsts = {}
for i = 5, #ARGV do
  if redis.call('SETBIT', KEYS[2], ARGV[i], 1) == 0 then
    firsts[#firsts + 1] = ARGV[i]
  end
end
local done = redis.call('HINCRBY', KEYS[1], 'done', #firsts)
local failed = tonumber(redis.call('HGET', KEYS[1], 'failed') or '0')
local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[2])
if #firsts > 0 and ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'lastLog', ARGV[4])
end
if done + failed >= total then
  status = failed > 0 and 'failed' or 'completed'
  local result = ARGV[3]
  if total ~= 1 or result == '' then
    result = cjson.encode({tasks = total, done = done, failed = failed})
  end
  redis.call('HSET', KEYS[1], 'status', status, 'finishedAt', ARGV[2], 'result', result)
  redis.call('ZREM', KEYS[3], ARGV[1])
end
local reply = {done, failed, status}
for i = 1, #firsts do
  reply[#reply + 1] = firsts[i]
end
return reply
