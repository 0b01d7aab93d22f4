-- Opens a submission: the job's id goes on the intake list, and it takes the next arrival number.
-- A job still on the list after a grace time was never queued (its API process died between the
-- steps), and is removed (JobQueue.repair).
-- A dataset's upload must still be in flight: once the sweep of stopped uploads has abandoned it
-- (score 0) it is deleting the staging topic, and the job would have no items. From here on the
-- sweep leaves the upload alone, since the job is on the intake list (upload.lua, 'abandon').
-- KEYS[1] intake set, KEYS[2] arrivals counter, KEYS[3] uploads in flight
-- ARGV[1] job id, ARGV[2] now (ms), ARGV[3] '1' if the job's items were uploaded
-- Returns the job's arrival number: unique, in submission order.
if ARGV[3] == '1' then
  local since = tonumber(redis.call('ZSCORE', KEYS[3], ARGV[1]) or '0')
  if since == 0 then
    return redis.error_reply('UPLOAD_EXPIRED the upload of job ' .. ARGV[1] .. ' stopped too long and was dropped')
  end
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return redis.call('INCR', KEYS[2])
