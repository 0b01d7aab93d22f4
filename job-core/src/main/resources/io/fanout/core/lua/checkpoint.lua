-- Renews a fan-out lease, if the caller still holds it.
-- KEYS[1] leases set, KEYS[2] lease owners
-- ARGV[1] job id, ARGV[2] lease owner, ARGV[3] new deadline (ms)
-- Returns 1, or 0 when the lease is lost (expired and taken over, or the job was cancelled).
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] or not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
return 1
