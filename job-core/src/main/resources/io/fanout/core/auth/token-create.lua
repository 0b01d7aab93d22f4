-- Stores a new token under its name and its hash, unless the name is taken.
-- KEYS[1] tokens by name, KEYS[2] tokens by hash (one hash tag: one slot, one atomic step).
-- ARGV[1] name, ARGV[2] sha256 hex, ARGV[3] the token's JSON (name, role, createdAt; no secret)
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({hash = ARGV[2], token = ARGV[3]}))
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
