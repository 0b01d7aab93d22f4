-- Forgets a token by its name: both entries, so its hash no longer authenticates anything.
-- KEYS[1] tokens by name, KEYS[2] tokens by hash; ARGV[1] name
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then
  return 0
end
redis.call('HDEL', KEYS[2], cjson.decode(entry).hash)
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
