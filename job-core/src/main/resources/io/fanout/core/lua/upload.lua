-- The staging ledger of dataset uploads, on the queue's shard: which uploads are in flight (and
-- since when they last wrote), and how many bytes uploads in flight and queued datasets hold in
-- their staging topics, against the budget STAGING_BUDGET_BYTES.
-- KEYS[1] uploads in flight, KEYS[2] staged bytes by job, KEYS[3] staged bytes in all,
-- KEYS[4] intake list, KEYS[5] versions (jobs the queue holds)
-- ARGV[1] job id, ARGV[2] action, ARGV[3] now (ms), then by action:
--   'open' ARGV[4] bytes announced (Content-Length, 0 if unknown), ARGV[5] budget:
--       registers the upload if the budget has room; {'ok'} or {'over', bytes staged}
--   'grow' ARGV[4] bytes written, ARGV[5] budget: counts them and marks the upload alive;
--       {'ok'}, {'over', bytes staged} (nothing counted) or {'abandoned'} (the sweep dropped it)
--   'discard': forgets the upload and its bytes (refused, cut off, or its topic deleted): {'ok'}
--   'abandon' ARGV[4] stale-before (ms): an upload silent since then, and not being submitted,
--       is marked abandoned (score 0) so that no submission takes it any more; the sweep then
--       deletes its staging topic and discards it. {'abandoned'} or {'alive'}
local id, action, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local function staged()
  return tonumber(redis.call('GET', KEYS[3]) or '0')
end
local function discard()
  redis.call('ZREM', KEYS[1], id)
  local bytes = redis.call('HGET', KEYS[2], id)
  if bytes then
    redis.call('HDEL', KEYS[2], id)
    redis.call('DECRBY', KEYS[3], bytes)
  end
end

if action == 'open' then
  if staged() + tonumber(ARGV[4]) > tonumber(ARGV[5]) then
    return {'over', staged()}
  end
  redis.call('ZADD', KEYS[1], now, id)
  return {'ok'}
elseif action == 'grow' then
  if tonumber(redis.call('ZSCORE', KEYS[1], id) or '0') == 0 then
    return {'abandoned'}
  end
  local bytes = tonumber(ARGV[4])
  if staged() + bytes > tonumber(ARGV[5]) then
    return {'over', staged()}
  end
  redis.call('HINCRBY', KEYS[2], id, bytes)
  redis.call('INCRBY', KEYS[3], bytes)
  redis.call('ZADD', KEYS[1], now, id)
  return {'ok'}
elseif action == 'discard' then
  discard()
  return {'ok'}
elseif action == 'abandon' then
  local since = redis.call('ZSCORE', KEYS[1], id)
  if not since or redis.call('ZSCORE', KEYS[4], id) or redis.call('HEXISTS', KEYS[5], id) == 1 then
    return {'alive'}
  end
  if tonumber(since) >= tonumber(ARGV[4]) then
    return {'alive'}
  end
  redis.call('ZADD', KEYS[1], 0, id)
  return {'abandoned'}
end
return redis.error_reply('unknown action ' .. tostring(action))
