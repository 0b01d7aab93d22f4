-- A node's heartbeat: its description under its own key, expiring unless renewed, and its id in
-- the index of nodes (score: its start time, so listings come in start order).
-- KEYS[1] the node's key, KEYS[2] the index; ARGV[1] the description (JSON), ARGV[2] the TTL in
-- ms, ARGV[3] the start time (epoch ms), ARGV[4] the node id.
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
