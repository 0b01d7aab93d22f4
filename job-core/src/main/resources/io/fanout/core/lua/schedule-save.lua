-- Stores a schedule's definition and, unless it is paused, makes its next firing due.
-- KEYS[1] definitions, KEYS[2] due, KEYS[3] slots
-- ARGV[1] schedule id, ARGV[2] definition (JSON), ARGV[3] its next firing (ms) or '' when paused,
-- ARGV[4] 'create' or 'update'
-- Returns 1, or 0 for an update of a schedule that is gone.
if ARGV[4] == 'update' and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
end
return 1
