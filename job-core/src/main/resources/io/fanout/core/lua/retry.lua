-- Queues the failed tasks of a failed job to run again. The job goes back to 'queued' (and so
-- through admission again); its failures become the list of tasks the next fan-out produces,
-- its failed count and bitmap start over, and its progress generation moves on so that
-- browsers accept the counts of the new run.
-- KEYS[1] job hash, KEYS[2] failed bitmap, KEYS[3] failures list, KEYS[4] retry list,
-- KEYS[5] waiting set, KEYS[6] finished-topics set, KEYS[7] logged bitmap
-- ARGV[1] job id, ARGV[2] now (ms), ARGV[3] status index key prefix
-- Returns {'queued', tasks to retry}, {'refused', current status} or {'missing'}.
local fields = redis.call('HMGET', KEYS[1], 'status', 'priority', 'arrival')
if not fields[1] then
  return {'missing'}
end
if fields[1] ~= 'failed' then
  return {'refused', fields[1]}
end
local retried = redis.call('LLEN', KEYS[3])
-- The retried tasks' next outcomes must be logged even if a worker dies before marking them.
for _, failure in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  redis.call('SETBIT', KEYS[7], cjson.decode(failure)['index'], 0)
end
redis.call('DEL', KEYS[4])
redis.call('RENAME', KEYS[3], KEYS[4])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'status', 'queued', 'failed', 0, 'retryTotal', retried, 'updatedAt', ARGV[2])
redis.call('HDEL', KEYS[1], 'finishedAt', 'result', 'finisher')
redis.call('HINCRBY', KEYS[1], 'generation', 1)
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('ZREM', ARGV[3] .. 'failed', ARGV[1])
redis.call('ZADD', ARGV[3] .. 'queued', fields[3], ARGV[1])
redis.call('ZADD', KEYS[5], (1000 - tonumber(fields[2])) * 1e12 + tonumber(fields[3]), ARGV[1])
return {'queued', retried}
