-- notice_finish.lua: KEYS: notice, due, sending, outbox, the analytics hour hash (rollups.go).
-- ARGV: bound, actor, attempt, state, now ms, due ms (for queued), ttl s (for
-- terminal states), then field/value pairs. Returns {status, fields}: ok |
-- conflict. A sent or failed notice counts in the hour hash (ns, nf per kind).

local f = redis.call('HMGET', KEYS[1], 'state', 'attempts', 'id', 'kind')
if f[1] ~= 'sending' or f[2] ~= ARGV[3] then
  if f[1] == false then return {'conflict', {}} end
  return {'conflict', redis.call('HGETALL', KEYS[1])}
end
redis.call('ZREM', KEYS[3], f[3])
redis.call('HSET', KEYS[1], 'state', ARGV[4], 'updated', ARGV[5])
if ARGV[4] == 'sent' then
  redis.call('HINCRBY', KEYS[5], 'ns\31' .. (f[4] or '') .. '\31\31', 1)
elseif ARGV[4] == 'failed' then
  redis.call('HINCRBY', KEYS[5], 'nf\31' .. (f[4] or '') .. '\31\31', 1)
end
if #ARGV > 7 then redis.call('HSET', KEYS[1], unpack(ARGV, 8)) end
if ARGV[4] == 'queued' then
  redis.call('HSET', KEYS[1], 'due', ARGV[6])
  redis.call('ZADD', KEYS[2], ARGV[6], f[3])
elseif ARGV[4] ~= 'unknown' then
  redis.call('EXPIRE', KEYS[1], ARGV[7])
end
emit(KEYS[4], tonumber(ARGV[1]), KEYS[1], ARGV[2])
return {'ok', redis.call('HGETALL', KEYS[1])}
