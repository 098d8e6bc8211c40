-- notice_create.lua: KEYS: notice, due set, by-ticket set, outbox. ARGV: bound, actor,
-- retention s, then field/value pairs. Returns {created (0/1), fields...}.

if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGETALL', KEYS[1])}
end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
local state = hget(KEYS[1], 'state')
if state == 'queued' then
  redis.call('ZADD', KEYS[2], hget(KEYS[1], 'due'), hget(KEYS[1], 'id'))
elseif state == 'skipped' then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
redis.call('SADD', KEYS[3], hget(KEYS[1], 'id'))
-- The ticket's list of notices lives as long as its newest notice.
redis.call('EXPIRE', KEYS[3], ARGV[3])
emit(KEYS[4], tonumber(ARGV[1]), KEYS[1], ARGV[2])
return {1, redis.call('HGETALL', KEYS[1])}
