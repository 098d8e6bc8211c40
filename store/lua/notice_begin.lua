-- notice_begin.lua: KEYS: notice, due, sending, cap counter. ARGV: now ms, lease deadline ms,
-- cap (0 = none), cap ttl s, deferred due ms when capped.
-- Returns {status, fields}: ok | notdue | gone | capped.

if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], string.match(KEYS[1], '[^:]+$'))
  return {'gone', {}}
end
local f = redis.call('HMGET', KEYS[1], 'state', 'due', 'id')
if f[1] ~= 'queued' then
  redis.call('ZREM', KEYS[2], f[3])
  return {'gone', redis.call('HGETALL', KEYS[1])}
end
if tonumber(f[2]) > tonumber(ARGV[1]) then
  return {'notdue', redis.call('HGETALL', KEYS[1])}
end
local cap = tonumber(ARGV[3])
if cap > 0 then
  local capKey = KEYS[4]
  local used = tonumber(redis.call('GET', capKey) or '0')
  if used >= cap then
    redis.call('HSET', KEYS[1], 'due', ARGV[5], 'updated', ARGV[1])
    redis.call('ZADD', KEYS[2], ARGV[5], f[3])
    return {'capped', redis.call('HGETALL', KEYS[1])}
  end
  redis.call('INCR', capKey)
  redis.call('EXPIRE', capKey, ARGV[4])
end
redis.call('HSET', KEYS[1], 'state', 'sending', 'updated', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('ZREM', KEYS[2], f[3])
redis.call('ZADD', KEYS[3], ARGV[2], f[3])
return {'ok', redis.call('HGETALL', KEYS[1])}
