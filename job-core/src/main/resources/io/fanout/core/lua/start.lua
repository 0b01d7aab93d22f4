-- Moves an admitted job's hash to 'running', at the version its admission took, unless the job
-- changed since it was queued (cancelled, reprioritized): then the caller takes the change into
-- the queue instead. A job already running is being resumed by a new dispatcher.
-- KEYS[1] job hash
-- ARGV[1] the version of the running job, ARGV[2] now (ms)
-- Returns 'started', 'running', or the job's status ('missing' when it is gone).
local fields = redis.call('HMGET', KEYS[1], 'status', 'version')
if not fields[1] then
  return 'missing'
end
if fields[1] == 'queued' and tonumber(fields[2]) == tonumber(ARGV[1]) - 1 then
  redis.call('HSET', KEYS[1], 'status', 'running', 'version', ARGV[1], 'startedAt', ARGV[2],
    'updatedAt', ARGV[2], 'produced', 0)
  return 'started'
end
return fields[1]
