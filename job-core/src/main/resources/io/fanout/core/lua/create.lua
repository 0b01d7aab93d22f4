-- Stores a new job's hash at version 1, taking over the items its upload staged. The first step
-- of a submission on the job's shard; the job is queued by the next step (project.lua), and until
-- then it is on the queue's intake list, from which a job never queued is removed (JobQueue).
-- KEYS[1] job hash, KEYS[2] staged items list, KEYS[3] job items list
-- ARGV[1] '1' if items were staged, ARGV[2..] the job hash as field, value, ...
if ARGV[1] == '1' then
  if redis.call('EXISTS', KEYS[2]) == 0 then
    return redis.error_reply('NOITEMS the staged items expired before the upload ended')
  end
  redis.call('RENAME', KEYS[2], KEYS[3])
  redis.call('PERSIST', KEYS[3])
end
redis.call('HSET', KEYS[1], 'version', 1, unpack(ARGV, 2))
return 1
