-- notice_renew.lua: KEYS notice, sending; ARGV attempt, lease deadline ms.
-- Moves the sending lease of a notice still being sent by that attempt.

local f = redis.call('HMGET', KEYS[1], 'state', 'attempts', 'id')
if f[1] ~= 'sending' or f[2] ~= ARGV[1] then return 0 end
if not redis.call('ZSCORE', KEYS[2], f[3]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], f[3])
return 1
