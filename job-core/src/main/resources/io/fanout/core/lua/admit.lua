-- Hands a dispatcher the next job to fan out, under a lease, or nothing.
-- Delayed jobs whose time has come join the waiting set first. An orphaned fan-out (its lease
-- expired: its dispatcher died) is resumed before anything new is admitted; a new job is
-- admitted only while fewer than the limit are active, highest priority first.
-- KEYS[1] waiting set, KEYS[2] active set, KEYS[3] leases set, KEYS[4] delayed set
-- ARGV[1] now (ms), ARGV[2] max active jobs, ARGV[3] lease owner, ARGV[4] lease length (ms),
-- ARGV[5] job hash key prefix, ARGV[6] status index key prefix
-- Returns {job id, 'resumed' | 'admitted'} or nil.
local now = tonumber(ARGV[1])
local deadline = now + tonumber(ARGV[4])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 100)) do
  local fields = redis.call('HMGET', ARGV[5] .. id, 'priority', 'arrival')
  redis.call('ZADD', KEYS[1], (1000 - tonumber(fields[1])) * 1e12 + tonumber(fields[2]), id)
  redis.call('ZREM', KEYS[4], id)
end
local orphan = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 1)[1]
if orphan then
  redis.call('ZADD', KEYS[3], deadline, orphan)
  redis.call('HSET', ARGV[5] .. orphan, 'leaseOwner', ARGV[3], 'updatedAt', now)
  return {orphan, 'resumed'}
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  return nil
end
local next = redis.call('ZPOPMIN', KEYS[1])
if #next == 0 then
  return nil
end
local id = next[1]
local job = ARGV[5] .. id
redis.call('ZADD', KEYS[2], now, id)
redis.call('ZADD', KEYS[3], deadline, id)
redis.call('HSET', job, 'status', 'running', 'startedAt', now, 'updatedAt', now, 'leaseOwner', ARGV[3], 'produced', 0)
local arrival = redis.call('HGET', job, 'arrival')
redis.call('ZREM', ARGV[6] .. 'queued', id)
redis.call('ZADD', ARGV[6] .. 'running', arrival, id)
return {id, 'admitted'}
