-- Marks tasks whose log record is in Kafka, so that a re-run after a crash logs only what was lost.
-- The tasks come as pieces of a bitmap (TaskBits), merged into the logged bitmap a byte at a time.
-- KEYS[1] logged bitmap; ARGV[1] how many pieces, then each one's byte offset and bytes
for i = 2, 2 * tonumber(ARGV[1]), 2 do
  local offset, given = tonumber(ARGV[i]), ARGV[i + 1]
  local logged = redis.call('GETRANGE', KEYS[1], offset, offset + #given - 1)
  local merged = {}
  for k = 1, #given do
    merged[k] = string.char(bit.bor(string.byte(given, k), string.byte(logged, k) or 0))
  end
  redis.call('SETRANGE', KEYS[1], offset, table.concat(merged))
end
return tonumber(ARGV[1])
