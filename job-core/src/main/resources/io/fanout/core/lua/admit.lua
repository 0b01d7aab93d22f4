-- Hands a dispatcher the next job to fan out, under a lease, or nothing.
-- Delayed jobs whose time has come join the waiting set first. An orphaned fan-out (its lease
-- expired: its dispatcher died) is resumed before anything new is admitted. Then the two lanes:
-- a big job is admitted only while fewer than ARGV[2] big jobs are active, a small one (the
-- express lane) while fewer than ARGV[5] small ones are; of the two heads that may start, the one
-- of higher priority (then earlier arrival) goes first. A flood of small jobs so never takes a big
-- job's place, nor a big job's backlog a small job's.
-- Admission is decided here, on the queue's shard, before the job's own hash says 'running': it
-- takes the job's next version for the running job, and start.lua moves the hash to it only if
-- the job did not change meanwhile (JobQueue.admit). A dispatcher that dies in between leaves
-- the lease to run out, and the next one resumes the job.
-- KEYS[1] waiting, KEYS[2] active, KEYS[3] leases, KEYS[4] delayed, KEYS[5] delayed scores,
-- KEYS[6] lease owners, KEYS[7] versions, KEYS[8] all jobs, KEYS[9] queued index, KEYS[10] running index,
-- KEYS[11] waiting small jobs, KEYS[12] active small jobs, KEYS[13] small jobs not finished
-- ARGV[1] now (ms), ARGV[2] max active big jobs (0: none now), ARGV[3] lease owner, ARGV[4] lease length (ms),
-- ARGV[5] max active small jobs
-- Returns {job id, 'resumed' | 'admitted', the job's version once running} or nil.
local now = tonumber(ARGV[1])
local deadline = now + tonumber(ARGV[4])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 100)) do
  local score = redis.call('HGET', KEYS[5], id)
  if score then
    redis.call('ZADD', redis.call('SISMEMBER', KEYS[13], id) == 1 and KEYS[11] or KEYS[1], score, id)
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
local activeSmall = redis.call('ZCARD', KEYS[12])
local function head(waiting, open)
  if not open then
    return nil
  end
  local first = redis.call('ZRANGE', waiting, 0, 0, 'WITHSCORES')
  return #first > 0 and {first[1], tonumber(first[2])} or nil
end
local big = head(KEYS[1], redis.call('ZCARD', KEYS[2]) - activeSmall < tonumber(ARGV[2]))
local small = head(KEYS[11], activeSmall < tonumber(ARGV[5]))
local id = nil
if small and (not big or small[2] <= big[2]) then
  id = small[1]
  redis.call('ZREM', KEYS[11], id)
  redis.call('ZADD', KEYS[12], now, id)
elseif big then
  id = big[1]
  redis.call('ZREM', KEYS[1], id)
else
  return nil
end
local version = redis.call('HINCRBY', KEYS[7], id, 1)
redis.call('ZADD', KEYS[2], now, id)
redis.call('ZADD', KEYS[3], deadline, id)
redis.call('HSET', KEYS[6], id, ARGV[3])
redis.call('ZREM', KEYS[9], id)
redis.call('ZADD', KEYS[10], redis.call('ZSCORE', KEYS[8], id) or 0, id)
return {id, 'admitted', version}
