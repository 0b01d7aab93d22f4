-- Ends a fan-out: every task is in Kafka, so the job no longer needs a dispatcher.
-- The job stays active until its last task is counted.
-- KEYS[1] leases set, KEYS[2] lease owners
-- ARGV[1] job id, ARGV[2] lease owner
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
