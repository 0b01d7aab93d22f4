-- Records one try of a job's webhook beside the job, unless the job is gone (retention forgot
-- it): then nothing is written, so no key of a forgotten job comes back.
-- KEYS[1] job hash, KEYS[2] the job's webhook tries
-- ARGV[1] the try (JSON), ARGV[2] how many tries to keep, ARGV[3] the webhook's state:
-- 'pending', 'delivered' or 'gave_up', ARGV[4] how long the tries are kept (ms)
-- Returns 1, or 0 when the job is gone.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('HSET', KEYS[1], 'callbackState', ARGV[3])
return 1
