-- Moves an admitted job's hash to 'running', at the version its admission took, unless the job
-- changed since it was queued (cancelled, reprioritized): then the caller takes the change into
-- the queue instead. A job already running is being resumed by a new dispatcher.
-- A started or resumed job comes back as its dispatcher needs it, in the same call: its hash
-- (where 'produced' says where its fan-out resumes) and the length of its retry list (a retry
-- run's tasks). A small job also gets where its records can start in the shared express log,
-- unless a dispatcher before recorded a lower offset.
-- KEYS[1] job hash, KEYS[2] the job's retry list (same shard)
-- ARGV[1] the version of the running job, ARGV[2] now (ms), ARGV[3] the express log's end offset,
-- asked of Kafka before this call: no record of the job can lie below it
-- Returns {'started' | 'running', retry list length, {the hash as field, value, ...}}, or {the
-- job's status} ('missing' when it is gone).
local fields = redis.call('HMGET', KEYS[1], 'status', 'version', 'lane')
if not fields[1] then
  return {'missing'}
end
local outcome = 'running'
if fields[1] == 'queued' and tonumber(fields[2]) == tonumber(ARGV[1]) - 1 then
  redis.call('HSET', KEYS[1], 'status', 'running', 'version', ARGV[1], 'startedAt', ARGV[2],
    'updatedAt', ARGV[2], 'produced', 0)
  outcome = 'started'
elseif fields[1] ~= 'running' then
  return {fields[1]}
end
if fields[3] == 'express' then
  redis.call('HSETNX', KEYS[1], 'logFrom', ARGV[3])
end
return {outcome, redis.call('LLEN', KEYS[2]), redis.call('HGETALL', KEYS[1])}
