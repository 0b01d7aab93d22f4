-- Renews a fan-out lease and saves how far the fan-out got, if the caller still holds the lease.
-- KEYS[1] leases set, KEYS[2] job hash
-- ARGV[1] job id, ARGV[2] lease owner, ARGV[3] new deadline (ms), ARGV[4] tasks produced so far
-- Returns 1, or 0 when the lease is lost (expired and taken over, or the job was cancelled).
if redis.call('HGET', KEYS[2], 'leaseOwner') ~= ARGV[2] or not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
redis.call('HSET', KEYS[2], 'produced', ARGV[4])
return 1
