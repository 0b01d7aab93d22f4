-- Every live node's description, in start order. An id whose key has expired belongs to a node
-- that stopped beating: it leaves the index here (a node that comes back adds itself again).
-- KEYS[1] the index; ARGV[1] the prefix of the nodes' keys.
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local live = {}
for _, id in ipairs(ids) do
  local description = redis.call('GET', ARGV[1] .. id)
  if description then
    live[#live + 1] = description
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return live
