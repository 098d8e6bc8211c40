-- notice_recover.lua: KEYS: sending, outbox. ARGV: bound, now ms, limit, notice key prefix, detail.
-- Turns notices whose sending lease ran out into "unknown". Returns their ids.

local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local key = ARGV[4] .. id
  if redis.call('HGET', key, 'state') == 'sending' then
    redis.call('HSET', key, 'state', 'unknown', 'updated', ARGV[2], 'detail', ARGV[5])
    emit(KEYS[2], tonumber(ARGV[1]), key, 'orderbot')
    table.insert(out, id)
  end
end
return out
