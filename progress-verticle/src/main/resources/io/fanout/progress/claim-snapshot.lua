-- Claims the right to publish a job's next progress snapshot, cluster-wide, and returns it.
-- Every progress verticle that heard of new progress calls this. The sequence number is a
-- function of the counts, which never decrease, and of finality, so this compare-and-set lets
-- exactly one caller publish each new state, at most one per interval, except the final state,
-- which always goes out. Counts are read here, so a snapshot is never older than Redis.
-- KEYS[1] job hash
-- ARGV[1] minimum interval between two snapshots (ms), ARGV[2] the last task index the caller
-- heard of (-1 for none), ARGV[3] time constant of the rate's moving average (ms)
-- Returns {1, seq, done, failed, total, status, rate, lastIndex, at, lastLog}: publish this
--         {0, waitMs}: nothing new since the last snapshot (waitMs until the next may go out)
--         {2, waitMs}: something new, but too soon; try again in waitMs
--         {-1}: no such job
local f = redis.call('HMGET', KEYS[1], 'status', 'done', 'failed', 'total', 'generation',
  'progressSeq', 'progressAt', 'progressCount', 'progressRate', 'progressLastIndex', 'startedAt', 'lastLog')
local status = f[1]
if not status then
  return {-1}
end
local done = tonumber(f[2]) or 0
local failed = tonumber(f[3]) or 0
local count = done + failed
local final = 0
if status == 'completed' or status == 'failed' or status == 'cancelled' then
  final = 1
end
-- A job that is run again (its generation bumped) starts a higher range of sequence numbers.
local seq = (tonumber(f[5]) or 0) * 4294967296 + count * 2 + final
local published = tonumber(f[6]) or -1
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local lastAt = tonumber(f[7]) or 0
local wait = math.max(0, lastAt + tonumber(ARGV[1]) - now)
if seq <= published then
  return {0, wait}
end
if final == 0 and wait > 0 then
  return {2, wait}
end
-- Tasks per second: a moving average over the snapshots, so one fast batch does not spike it.
local rate = tonumber(f[9]) or 0
local startedAt = tonumber(f[11])
if lastAt > 0 and now > lastAt then
  local instant = (count - (tonumber(f[8]) or 0)) * 1000 / (now - lastAt)
  rate = rate + (1 - math.exp(-(now - lastAt) / tonumber(ARGV[3]))) * (instant - rate)
elseif startedAt and now > startedAt then
  rate = count * 1000 / (now - startedAt)
end
if rate < 0 then
  rate = 0
end
local lastIndex = ARGV[2]
if tonumber(lastIndex) < 0 then
  lastIndex = f[10] or '-1'
end
local seqText = string.format('%.0f', seq)
local rateText = string.format('%.3f', rate)
redis.call('HSET', KEYS[1], 'progressSeq', seqText, 'progressAt', now, 'progressCount', count,
  'progressRate', rateText, 'progressLastIndex', lastIndex)
return {1, seqText, done, failed, tonumber(f[4]) or 0, status, rateText, lastIndex, now, f[12] or ''}
