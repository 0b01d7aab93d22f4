-- Stores a new job's hash, at version 1 (among its fields). The first step of a submission on the
-- job's shard; the job is queued by the next step (project.lua), and until then it is on the
-- queue's intake list, from which a job never queued is removed (JobQueue). A dataset's items are
-- not here: they are in the job's staging topic in Kafka (Topics.items).
-- KEYS[1] job hash
-- ARGV the job hash as field, value, ...
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
