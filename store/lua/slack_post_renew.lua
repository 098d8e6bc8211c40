-- slack_post_renew.lua: KEYS[1]; ARGV holder, lease ms. Extends the holder's
-- lease on a post in progress; 0 when it no longer holds it.

local h = redis.call('HMGET', KEYS[1], 'd', 'o')
if h[1] == '1' or h[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'l', fmt(NOWMS + tonumber(ARGV[2])))
return 1
