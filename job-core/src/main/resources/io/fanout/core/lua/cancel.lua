-- Cancels a queued or running job. Workers and dispatchers learn it from the job's status (and
-- a broadcast) and stop; the queue takes the change in next (project.lua).
-- KEYS[1] job hash
-- ARGV[1] now (ms)
-- Returns {'cancelled', previous status}, {'refused', current status} or {'missing'}.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing'}
end
if status ~= 'queued' and status ~= 'running' then
  return {'refused', status}
end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finishedAt', ARGV[1], 'updatedAt', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'version', 1)
return {'cancelled', status}
