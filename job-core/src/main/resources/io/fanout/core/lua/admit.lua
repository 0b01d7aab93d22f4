-- Hands a dispatcher the next job to fan out, under a lease, or nothing.
-- Delayed jobs whose time has come join the waiting set first. An orphaned fan-out (its lease
-- expired: its dispatcher died) is resumed before anything new is admitted; a new job is
-- admitted only while fewer than the limit are active, highest priority first.
-- Admission is decided here, on the queue's shard, before the job's own hash says 'running': it
-- takes the job's next version for the running job, and start.lua moves the hash to it only if
-- the job did not change meanwhile (JobQueue.admit). A dispatcher that dies in between leaves
-- the lease to run out, and the next one resumes the job.
-- KEYS[1] waiting, KEYS[2] active, KEYS[3] leases, KEYS[4] delayed, KEYS[5] delayed scores,
-- KEYS[6] lease owners, KEYS[7] versions, KEYS[8] all jobs, KEYS[9] queued index, KEYS[10] running index
-- ARGV[1] now (ms), ARGV[2] max active jobs, ARGV[3] lease owner, ARGV[4] lease length (ms)
-- Returns {job id, 'resumed' | 'admitted', the job's version once running} or nil.
local now = tonumber(ARGV[1])
local deadline = now + tonumber(ARGV[4])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 100)) do
  local score = redis.call('HGET', KEYS[5], id)
  if score then
    redis.call('ZADD', KEYS[1], score, id)
  end
  redis.call('HDEL', KEYS[5], id)
  redis.call('ZREM', KEYS[4], id)
end
local orphan = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 1)[1]
if orphan then
  redis.call('ZADD', KEYS[3], deadline, orphan)
  redis.call('HSET', KEYS[6], orphan, ARGV[3])
  return {orphan, 'resumed', redis.call('HGET', KEYS[7], orphan) or '0'}
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  return nil
end
local next = redis.call('ZPOPMIN', KEYS[1])
if #next == 0 then
  return nil
end
local id = next[1]
local version = redis.call('HINCRBY', KEYS[7], id, 1)
redis.call('ZADD', KEYS[2], now, id)
redis.call('ZADD', KEYS[3], deadline, id)
redis.call('HSET', KEYS[6], id, ARGV[3])
redis.call('ZREM', KEYS[9], id)
redis.call('ZADD', KEYS[10], redis.call('ZSCORE', KEYS[8], id) or 0, id)
return {id, 'admitted', version}
