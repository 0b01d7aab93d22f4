-- Marks tasks whose log record is in Kafka, so that a re-run after a crash logs only what was lost.
-- The tasks come as pieces of a bitmap (TaskBits); each piece is merged into the range of the
-- logged bitmap it covers by BITOP, in C, and written back. Only tasks still counted (done or
-- failed) are marked: a mark that comes late (asked again after Redis was away) must not mark a
-- task that retry-failed has since put back to run, whose next outcome is then to be logged.
-- A job already forgotten (retention, purge) gets nothing: a late mark must not bring a bitmap back.
-- The job's end record, when these tasks' records came with it, is kept as the job's last log
-- record in the same step, if the job has still ended: it outlives the job's log (JobStore.lastLog).
-- KEYS[1] logged bitmap, KEYS[2..4] scratch keys, deleted before the script returns, KEYS[5] job hash,
-- KEYS[6] done bitmap, KEYS[7] failed bitmap
-- ARGV[1] the job's end record ('' when it did not end), ARGV[2] how many pieces, then each one's
-- byte offset and bytes
if redis.call('EXISTS', KEYS[5]) == 0 then
  return 0
end
local status = redis.call('HGET', KEYS[5], 'status')
if ARGV[1] ~= '' and (status == 'completed' or status == 'failed' or status == 'cancelled') then
  redis.call('HSET', KEYS[5], 'lastLog', ARGV[1])
end
for i = 3, 2 + 2 * tonumber(ARGV[2]), 2 do
  local offset, given = tonumber(ARGV[i]), ARGV[i + 1]
  local last = offset + #given - 1
  redis.call('SET', KEYS[2], given)
  redis.call('SET', KEYS[3], redis.call('GETRANGE', KEYS[6], offset, last))
  redis.call('SET', KEYS[4], redis.call('GETRANGE', KEYS[7], offset, last))
  redis.call('BITOP', 'OR', KEYS[3], KEYS[3], KEYS[4])
  redis.call('BITOP', 'AND', KEYS[2], KEYS[2], KEYS[3])
  redis.call('SET', KEYS[3], redis.call('GETRANGE', KEYS[1], offset, last))
  redis.call('BITOP', 'OR', KEYS[3], KEYS[3], KEYS[2])
  redis.call('SETRANGE', KEYS[1], offset, redis.call('GET', KEYS[3]))
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
return tonumber(ARGV[2])
