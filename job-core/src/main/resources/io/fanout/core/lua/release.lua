-- Ends a fan-out: every task is in Kafka, so the job no longer needs a dispatcher.
-- The job stays active until its last task is counted.
-- KEYS[1] leases set, KEYS[2] job hash
-- ARGV[1] job id, ARGV[2] lease owner, ARGV[3] tasks produced
if redis.call('HGET', KEYS[2], 'leaseOwner') ~= ARGV[2] then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'produced', ARGV[3])
redis.call('HDEL', KEYS[2], 'leaseOwner')
return 1
