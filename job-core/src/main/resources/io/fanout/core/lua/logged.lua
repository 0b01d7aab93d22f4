-- Marks tasks whose log record is in Kafka, so that a re-run after a crash logs only what was lost.
-- The tasks come as pieces of a bitmap (TaskBits). The range of the logged bitmap they fall in is
-- merged with them by BITOP, in C, and written back.
-- KEYS[1] logged bitmap, KEYS[2..3] scratch keys, deleted before the script returns
-- ARGV[1] how many pieces, then each one's byte offset and bytes
local last = 1 + 2 * tonumber(ARGV[1])
local low, high = math.huge, -1
for i = 2, last, 2 do
  low = math.min(low, tonumber(ARGV[i]))
  high = math.max(high, tonumber(ARGV[i]) + #ARGV[i + 1] - 1)
end
for i = 2, last, 2 do
  redis.call('SETRANGE', KEYS[2], tonumber(ARGV[i]) - low, ARGV[i + 1])
end
redis.call('SET', KEYS[3], redis.call('GETRANGE', KEYS[1], low, high))
redis.call('BITOP', 'OR', KEYS[3], KEYS[3], KEYS[2])
redis.call('SETRANGE', KEYS[1], low, redis.call('GET', KEYS[3]))
redis.call('DEL', KEYS[2], KEYS[3])
return tonumber(ARGV[1])
