-- Ends one try of a webhook by the process that holds its lease: the webhook leaves the outbox
-- (delivered, given up, or its job is gone) or is due again at the given time. A process whose
-- lease ran out changes nothing: another one has the webhook now.
-- KEYS[1] webhooks due, KEYS[2] leases, KEYS[3] tries
-- ARGV[1] job id, ARGV[2] the process, ARGV[3] when it is due again (ms), or 'done'
-- Returns 1 if the lease was held, else 0.
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('HDEL', KEYS[2], ARGV[1])
if ARGV[3] == 'done' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
end
return 1
