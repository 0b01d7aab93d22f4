-- Makes the queue's structures agree with one job's state, as read from the job's hash: the
-- waiting or delayed set, the active set and lease, the listing and status indexes, and the
-- finished-topics set, the finished-jobs index (retention), and the staging ledger (a queued
-- dataset's bytes count against the staging budget until it is admitted). Every change of a job is made on its own shard first and then taken in
-- here, on the queue's shard; calls may come late, twice or out of order (a retry, the repair
-- sweep), so each carries the job's version, and one older than the queue has already taken in
-- changes nothing. A job is queued (or a change taken in) under a marker, removed here, that
-- tells the repair sweep the change is still on its way.
-- KEYS[1] waiting, KEYS[2] delayed, KEYS[3] delayed scores, KEYS[4] active, KEYS[5] leases,
-- KEYS[6] lease owners, KEYS[7] versions, KEYS[8] all jobs, KEYS[9] finished topics,
-- KEYS[10] intake, KEYS[11] unsettled changes, KEYS[12..16] status indexes: queued, running,
-- completed, failed, cancelled, KEYS[17] uploads in flight, KEYS[18] staged bytes by job,
-- KEYS[19] staged bytes in all, KEYS[20] finished jobs, KEYS[21] webhooks due, KEYS[22] webhook tries,
-- KEYS[23] waiting small jobs, KEYS[24] active small jobs, KEYS[25] small jobs not finished,
-- KEYS[26] finished small jobs whose bitmaps and express-log records are kept (the janitor's, as KEYS[9]
-- is for big jobs' topics, but they have no topics to count against the topic budget)
-- ARGV[1] job id, ARGV[2] marker: 'intake', 'unsettled' or 'none', ARGV[3] the unsettled member,
-- ARGV[4] now (ms), ARGV[5] the job's version ('' when the job is gone), ARGV[6] status,
-- ARGV[7] priority, ARGV[8] arrival, ARGV[9] run-at time (ms, 0 = now), ARGV[10] finished at (ms),
-- ARGV[11] '1' if the job may have topics (it started, or its items were uploaded),
-- ARGV[12] '1' if the job has a callbackUrl, ARGV[13] '1' if it is a small job (the express lane)
-- A small job waits in its own set and counts against its own admission limit (admit.lua); while
-- running it is in both active sets, so everything that lists running jobs finds it.
-- Returns 'taken', 'stale' or 'gone'; an intake that the repair sweep removed first is an error.
local id = ARGV[1]
if ARGV[2] == 'intake' and redis.call('ZREM', KEYS[10], id) == 0 then
  return redis.error_reply('INTAKE_EXPIRED job ' .. id .. ' took too long to be queued and was dropped')
end
if ARGV[2] == 'intake' then
  -- Its upload is a queued dataset now: no longer in flight, its bytes still staged.
  redis.call('ZREM', KEYS[17], id)
end
if ARGV[2] == 'unsettled' then
  redis.call('ZREM', KEYS[11], ARGV[3])
end
-- A dataset stops counting against the staging budget once it leaves the queue.
local function unstage()
  local bytes = redis.call('HGET', KEYS[18], id)
  if bytes then
    redis.call('HDEL', KEYS[18], id)
    redis.call('DECRBY', KEYS[19], bytes)
  end
end
local STATUSES = {'queued', 'running', 'completed', 'failed', 'cancelled'}

local version = tonumber(ARGV[5])
if not version then
  -- The job is gone: it leaves every structure.
  unstage()
  for _, key in ipairs({KEYS[1], KEYS[2], KEYS[4], KEYS[5], KEYS[8], KEYS[9], KEYS[12], KEYS[13], KEYS[14],
      KEYS[15], KEYS[16], KEYS[17], KEYS[20], KEYS[23], KEYS[24], KEYS[26]}) do
    redis.call('ZREM', key, id)
  end
  redis.call('SREM', KEYS[25], id)
  for _, key in ipairs({KEYS[3], KEYS[6], KEYS[7]}) do
    redis.call('HDEL', key, id)
  end
  return 'gone'
end
local takenVersion = tonumber(redis.call('HGET', KEYS[7], id) or '0')
if version < takenVersion then
  return 'stale'
end

local status, arrival = ARGV[6], tonumber(ARGV[8])
local express = ARGV[13] == '1'
local waiting = express and KEYS[23] or KEYS[1]
redis.call('HSET', KEYS[7], id, version)
redis.call('ZADD', KEYS[8], arrival, id)
for i, name in ipairs(STATUSES) do
  if name == status then
    redis.call('ZADD', KEYS[11 + i], arrival, id)
  else
    redis.call('ZREM', KEYS[11 + i], id)
  end
end

local function leaveFanOut()
  redis.call('ZREM', KEYS[4], id)
  redis.call('ZREM', KEYS[24], id)
  redis.call('ZREM', KEYS[5], id)
  redis.call('HDEL', KEYS[6], id)
end
local function leaveWaiting()
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[23], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
end

if status ~= 'queued' then
  unstage()
end
if status == 'queued' or status == 'running' then
  redis.call('ZREM', KEYS[20], id)
end
if status == 'queued' then
  leaveFanOut()
  -- A failed job queued to run again needs its topics again.
  redis.call('ZREM', KEYS[9], id)
  redis.call('ZREM', KEYS[26], id)
  -- Higher priority first, then arrival order. Priorities lie in [-1000, 1000] and arrivals stay
  -- below 1e12, so the score is an integer a double holds exactly.
  local score = (1000 - tonumber(ARGV[7])) * 1e12 + arrival
  if express then
    redis.call('SADD', KEYS[25], id)
  end
  if tonumber(ARGV[9]) > tonumber(ARGV[4]) then
    redis.call('ZREM', waiting, id)
    redis.call('ZADD', KEYS[2], ARGV[9], id)
    redis.call('HSET', KEYS[3], id, score)
  else
    redis.call('ZREM', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('ZADD', waiting, score, id)
  end
elseif status == 'running' then
  leaveWaiting()
  redis.call('ZADD', KEYS[4], 'NX', ARGV[4], id)
  if express then
    redis.call('ZADD', KEYS[24], 'NX', ARGV[4], id)
  end
else
  leaveWaiting()
  leaveFanOut()
  redis.call('SREM', KEYS[25], id)
  if ARGV[11] == '1' then
    redis.call('ZADD', express and KEYS[26] or KEYS[9], ARGV[10], id)
  end
  -- NX: a purge's score 0 stays (a retry run, queued, leaves the index and comes back with its end).
  redis.call('ZADD', KEYS[20], 'NX', ARGV[10], id)
  -- The end's webhook is due now, once: a projection of the same version again (the repair
  -- sweep after the worker's own) finds its version taken in already.
  if ARGV[12] == '1' and version > takenVersion then
    redis.call('ZADD', KEYS[21], ARGV[4], id)
    redis.call('HDEL', KEYS[22], id)
  end
end
return 'taken'
