-- Marks tasks whose log record is in Kafka, so that a re-run after a crash logs only what was lost.
-- KEYS[1] logged bitmap; ARGV task indexes
for i = 1, #ARGV do
  redis.call('SETBIT', KEYS[1], ARGV[i], 1)
end
return #ARGV
