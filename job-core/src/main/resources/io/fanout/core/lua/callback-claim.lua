-- Claims webhooks that are due for one delivering process: each is leased to it by pushing its
-- score to the lease's end, so that if the process dies the webhook is due again then, for
-- another one. Every try is counted here, so the backoff grows even across crashes.
-- KEYS[1] webhooks due, KEYS[2] leases, KEYS[3] tries
-- ARGV[1] now (ms), ARGV[2] the claiming process, ARGV[3] lease (ms), ARGV[4] at most this many
-- Returns {job id, tries before this one, ...}.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[4]))
local claimed = {}
for _, id in ipairs(due) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[3]), id)
  redis.call('HSET', KEYS[2], id, ARGV[2])
  local tries = redis.call('HINCRBY', KEYS[3], id, 1) - 1
  table.insert(claimed, id)
  table.insert(claimed, tostring(tries))
end
return claimed
