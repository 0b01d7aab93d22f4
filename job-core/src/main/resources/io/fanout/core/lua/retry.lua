-- Queues the failed tasks of a failed job to run again. The job goes back to 'queued' (and so
-- through admission again, once the queue takes the change in: project.lua); its failures become
-- the list of tasks the next fan-out produces, its failed count and bitmap start over, and its
-- progress generation moves on so that browsers accept the counts of the new run. A job whose
-- topics the janitor retired loses that mark.
-- KEYS[1] job hash, KEYS[2] failed bitmap, KEYS[3] failures list, KEYS[4] retry list,
-- KEYS[5] logged bitmap
-- ARGV[1] now (ms)
-- Returns {'queued', tasks to retry}, {'refused', current status} or {'missing'}.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing'}
end
if status ~= 'failed' then
  return {'refused', status}
end
local retried = redis.call('LLEN', KEYS[3])
-- The retried tasks' next outcomes must be logged even if a worker dies before marking them.
for _, failure in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  redis.call('SETBIT', KEYS[5], cjson.decode(failure)['index'], 0)
end
redis.call('DEL', KEYS[4])
redis.call('RENAME', KEYS[3], KEYS[4])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'status', 'queued', 'failed', 0, 'retryTotal', retried, 'updatedAt', ARGV[1])
-- A retired job's run is a new one: its topics are made anew and workers want its tasks again.
redis.call('HDEL', KEYS[1], 'finishedAt', 'result', 'finisher', 'topicsDeleted')
redis.call('HINCRBY', KEYS[1], 'generation', 1)
redis.call('HINCRBY', KEYS[1], 'version', 1)
return {'queued', retried}
