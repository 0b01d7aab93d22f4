-- Cancels a queued or running job: it leaves every queue structure and becomes 'cancelled'.
-- Workers and dispatchers learn it from the job's status (and a broadcast) and stop.
-- KEYS[1] job hash, KEYS[2] waiting set, KEYS[3] delayed set, KEYS[4] active set, KEYS[5] leases set,
-- KEYS[6] finished-topics set
-- ARGV[1] job id, ARGV[2] now (ms), ARGV[3] status index key prefix
-- Returns {'cancelled', previous status}, {'refused', current status} or {'missing'}.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing'}
end
if status ~= 'queued' and status ~= 'running' then
  return {'refused', status}
end
for i = 2, 5 do
  redis.call('ZREM', KEYS[i], ARGV[1])
end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finishedAt', ARGV[2], 'updatedAt', ARGV[2])
redis.call('HDEL', KEYS[1], 'leaseOwner')
redis.call('ZREM', ARGV[3] .. status, ARGV[1])
redis.call('ZADD', ARGV[3] .. 'cancelled', redis.call('HGET', KEYS[1], 'arrival'), ARGV[1])
if status == 'running' then
  redis.call('ZADD', KEYS[6], ARGV[2], ARGV[1])
end
return {'cancelled', status}
