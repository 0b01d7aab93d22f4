-- Stores a new job and puts it in the waiting set, in one step.
-- KEYS[1] job hash, KEYS[2] waiting set, KEYS[3] arrivals counter
-- ARGV[1] job id, ARGV[2] priority, ARGV[3..] the hash as field, value, ...
local arrival = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
-- Higher priority first, then arrival order. Priorities lie in [-1000, 1000] and arrivals stay
-- below 1e12, so the score is an integer a double holds exactly.
redis.call('ZADD', KEYS[2], (1000 - tonumber(ARGV[2])) * 1e12 + arrival, ARGV[1])
return arrival
