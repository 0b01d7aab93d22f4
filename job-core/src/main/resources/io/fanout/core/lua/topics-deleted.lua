-- Records that a finished job's topics are deleted, and drops its bitmaps and retry list, at once:
-- a copy of one of its tasks that still comes (a small job's stay in the express topic) finds the
-- mark and is skipped, never an empty bitmap that would count it again. A job forgotten meanwhile
-- (purged) is not brought back as a hash holding the mark alone.
-- KEYS[1] job hash, KEYS[2..] the job's run keys (bitmaps, retry list)
-- ARGV[1] now (ms)
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'topicsDeleted', ARGV[1])
end
if #KEYS > 1 then
  redis.call('DEL', unpack(KEYS, 2))
end
return 1
