-- notice_settle.lua: KEYS: notice, due, outbox. ARGV: bound, actor, action (resend|mark_sent),
-- now ms, ttl s, detail. Settles an unknown notice by hand.

local f = redis.call('HMGET', KEYS[1], 'state', 'id')
if f[1] ~= 'unknown' then
  if f[1] == false then return {'conflict', {}} end
  return {'conflict', redis.call('HGETALL', KEYS[1])}
end
if ARGV[3] == 'resend' then
  redis.call('HSET', KEYS[1], 'state', 'queued', 'due', ARGV[4], 'updated', ARGV[4], 'detail', ARGV[6], 'by', ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[4], f[2])
else
  redis.call('HSET', KEYS[1], 'state', 'sent', 'updated', ARGV[4], 'detail', ARGV[6], 'by', ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
end
emit(KEYS[3], tonumber(ARGV[1]), KEYS[1], ARGV[2])
return {'ok', redis.call('HGETALL', KEYS[1])}
