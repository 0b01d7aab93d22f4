-- Records that the first n tasks of a job are in Kafka: where a fan-out resumes. It only ever
-- grows, so a dispatcher that lost its lease cannot move it back; what it says is true whoever
-- writes it.
-- KEYS[1] job hash; ARGV[1] n
if tonumber(redis.call('HGET', KEYS[1], 'produced') or '0') < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'produced', ARGV[1])
end
return 1
