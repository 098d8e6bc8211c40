-- cursor.lua: advance a poll cursor, never backwards.
-- KEYS[1] cursor (unix ms). ARGV[1] the new time. Returns the cursor after the call.

local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
local new = tonumber(ARGV[1])
if new > cur then
  redis.call('SET', KEYS[1], ARGV[1])
  return ARGV[1]
end
return string.format('%.0f', cur)
