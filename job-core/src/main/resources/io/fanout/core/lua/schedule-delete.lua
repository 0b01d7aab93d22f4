-- Deletes a schedule: its definition, its place in the due set and its firing records.
-- KEYS[1] definitions, KEYS[2] due, KEYS[3] slots, KEYS[4] its firings
-- ARGV[1] schedule id
-- Returns 1, or 0 when there was no such schedule.
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[4])
return 1
