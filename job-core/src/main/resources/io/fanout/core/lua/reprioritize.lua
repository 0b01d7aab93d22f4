-- Changes the priority of a queued job, moving it in the waiting set if it is there.
-- KEYS[1] job hash, KEYS[2] waiting set
-- ARGV[1] job id, ARGV[2] new priority, ARGV[3] now (ms)
-- Returns {'changed'}, {'refused', current status} or {'missing'}.
local fields = redis.call('HMGET', KEYS[1], 'status', 'arrival')
if not fields[1] then
  return {'missing'}
end
if fields[1] ~= 'queued' then
  return {'refused', fields[1]}
end
redis.call('HSET', KEYS[1], 'priority', ARGV[2], 'updatedAt', ARGV[3])
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('ZADD', KEYS[2], (1000 - tonumber(ARGV[2])) * 1e12 + tonumber(fields[2]), ARGV[1])
end
return {'changed'}
