-- Changes the priority of a queued job; the queue takes the new order in next (project.lua).
-- KEYS[1] job hash
-- ARGV[1] new priority, ARGV[2] now (ms)
-- Returns {'changed'}, {'refused', current status} or {'missing'}.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing'}
end
if status ~= 'queued' then
  return {'refused', status}
end
redis.call('HSET', KEYS[1], 'priority', ARGV[1], 'updatedAt', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'version', 1)
return {'changed'}
