-- A node that stops cleanly leaves at once instead of when its heartbeat expires.
-- KEYS[1] the node's key, KEYS[2] the index; ARGV[1] the node id.
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
