-- Claims an idempotency key for a new job, unless another job holds it.
-- KEYS[1] the idempotency key
-- ARGV[1] the new job's id, ARGV[2] the key's lifetime (ms), ARGV[3] the id of a job whose
-- submission died before it was queued, whose claim the new job takes over ('' for none)
-- Returns {the id holding the key, its age in ms}: the new job's id with age 0 when claimed.
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[3] then
  return {holder, tonumber(ARGV[2]) - redis.call('PTTL', KEYS[1])}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {ARGV[1], 0}
