-- Opens a submission: the job's id goes on the intake list, and it takes the next arrival number.
-- A job still on the list after a grace time was never queued (its API process died between the
-- steps), and is removed (JobQueue.repair).
-- KEYS[1] intake set, KEYS[2] arrivals counter
-- ARGV[1] job id, ARGV[2] now (ms)
-- Returns the job's arrival number: unique, in submission order.
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return redis.call('INCR', KEYS[2])
