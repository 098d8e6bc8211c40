-- slack_post_begin.lua: KEYS[1] post hash; ARGV holder, lease ms, keep ms.
-- Fields: d done, c channel, ts, o holder, l lease end (ms), u uncertain (an
-- attempt may have reached Slack), pu uncertain before the current attempt,
-- s first attempt (ms).

local h = redis.call('HMGET', KEYS[1], 'd', 'c', 'ts', 'o', 'l', 'u', 's')
if h[1] == '1' then return {'done', h[2] or '', h[3] or ''} end
if h[4] and h[4] ~= ARGV[1] and tonumber(h[5] or '0') > NOWMS then return {'busy'} end
local prev = h[6] or '0'
local since = h[7] or fmt(NOWMS)
redis.call('HSET', KEYS[1], 'o', ARGV[1], 'l', fmt(NOWMS + tonumber(ARGV[2])), 'u', '1', 'pu', prev, 's', since)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {'go', prev, since}
