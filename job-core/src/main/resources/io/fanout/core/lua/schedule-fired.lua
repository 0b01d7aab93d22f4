-- Records a schedule's firing and moves it to its next one, if it is still due for the firing
-- that was claimed: a schedule changed, paused or deleted meanwhile keeps what that change set.
-- The firing is recorded either way, while the schedule exists; a second process recording the
-- same firing (it fired the same slot, and the idempotency key gave it the same job) changes nothing.
-- KEYS[1] definitions, KEYS[2] due, KEYS[3] slots, KEYS[4] the schedule's firings
-- ARGV[1] schedule id, ARGV[2] the firing claimed (ms), ARGV[3] the next firing (ms), or '' for
-- none, ARGV[4] the job's id, ARGV[5] the time of the firing the job is for (ms), ARGV[6] how
-- many firings to keep
-- Returns 1 if the schedule moved on, else 0.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -tonumber(ARGV[6]) - 1)
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then
  return 0
end
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
end
return 1
