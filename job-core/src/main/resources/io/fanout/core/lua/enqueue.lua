-- Stores a new job and queues it, in one step: the job hash, its items (renamed from the
-- upload's staging list), its idempotency key, the listing indexes, and the waiting or delayed set.
-- KEYS[1] job hash, KEYS[2] waiting set, KEYS[3] delayed set, KEYS[4] arrivals counter,
-- KEYS[5] staged items list, KEYS[6] job items list, KEYS[7] idempotency key,
-- KEYS[8] all-jobs index, KEYS[9] queued-jobs index
-- ARGV[1] job id, ARGV[2] priority, ARGV[3] run-at time (ms, 0 = now), ARGV[4] idempotency key
-- lifetime (ms), ARGV[5] '1' if items were staged, ARGV[6] '1' if an idempotency key was given,
-- ARGV[7..] the job hash as field, value, ...
-- The listing indexes are scored by arrival: unique and in creation order, a stable page cursor.
-- Returns {job id, 'created' | 'duplicate'}; a duplicate is the job created with the same key.
if ARGV[6] == '1' then
  local existing = redis.call('GET', KEYS[7])
  if existing then
    redis.call('DEL', KEYS[5])
    return {existing, 'duplicate'}
  end
  redis.call('SET', KEYS[7], ARGV[1], 'PX', ARGV[4])
end
if ARGV[5] == '1' then
  if redis.call('EXISTS', KEYS[5]) == 0 then
    return redis.error_reply('NOITEMS the staged items of job ' .. ARGV[1] .. ' expired before the upload ended')
  end
  redis.call('RENAME', KEYS[5], KEYS[6])
  redis.call('PERSIST', KEYS[6])
end
local arrival = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], 'arrival', arrival, unpack(ARGV, 7))
redis.call('ZADD', KEYS[8], arrival, ARGV[1])
redis.call('ZADD', KEYS[9], arrival, ARGV[1])
if tonumber(ARGV[3]) > 0 then
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
else
  -- Higher priority first, then arrival order. Priorities lie in [-1000, 1000] and arrivals stay
  -- below 1e12, so the score is an integer a double holds exactly.
  redis.call('ZADD', KEYS[2], (1000 - tonumber(ARGV[2])) * 1e12 + arrival, ARGV[1])
end
return {ARGV[1], 'created'}
