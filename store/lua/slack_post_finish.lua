-- slack_post_finish.lua: KEYS[1]; ARGV channel, ts, keep ms. The first recorded
-- result wins and is returned.

local h = redis.call('HMGET', KEYS[1], 'd', 'c', 'ts')
if h[1] == '1' then return {h[2] or '', h[3] or ''} end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'd', '1', 'c', ARGV[1], 'ts', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {ARGV[1], ARGV[2]}
