-- Claims the schedules whose firing is due for one process, under a lease: each one's score moves
-- to the lease's end, so that if the process dies before the firing is done, the schedule is due
-- again then and another process fires it (the firing's idempotency key makes that one job).
-- KEYS[1] definitions, KEYS[2] due, KEYS[3] slots
-- ARGV[1] now (ms), ARGV[2] lease (ms), ARGV[3] at most this many
-- Returns {schedule id, the firing it is due for (ms), definition (JSON), ...}.
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local claimed = {}
for _, id in ipairs(due) do
  local definition = redis.call('HGET', KEYS[1], id)
  local slot = redis.call('HGET', KEYS[3], id)
  if definition and slot then
    redis.call('ZADD', KEYS[2], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
    table.insert(claimed, id)
    table.insert(claimed, slot)
    table.insert(claimed, definition)
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
return claimed
