-- notice_defer.lua: KEYS: notice, due, outbox. ARGV: bound, actor, due ms, now ms, detail, emit
-- (0/1). Moves a queued notice's due time. Returns {status, fields}.

local f = redis.call('HMGET', KEYS[1], 'state', 'id')
if f[1] ~= 'queued' then
  if f[1] == false then return {'conflict', {}} end
  return {'conflict', redis.call('HGETALL', KEYS[1])}
end
redis.call('HSET', KEYS[1], 'due', ARGV[3], 'updated', ARGV[4], 'detail', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], f[2])
if ARGV[6] == '1' then emit(KEYS[3], tonumber(ARGV[1]), KEYS[1], ARGV[2]) end
return {'ok', redis.call('HGETALL', KEYS[1])}
