-- poll.lua: record one poll attempt of a source.
-- KEYS[1] health hash: f consecutive failures, e last error, s last success,
-- a last attempt (unix ms). ARGV: ok (1/0), error message, attempt time.
-- Returns {f, e, s, a}.

if ARGV[1] == '1' then
  redis.call('HSET', KEYS[1], 'f', '0', 's', ARGV[3], 'a', ARGV[3])
else
  redis.call('HINCRBY', KEYS[1], 'f', 1)
  redis.call('HSET', KEYS[1], 'e', ARGV[2], 'a', ARGV[3])
end
local h = redis.call('HMGET', KEYS[1], 'f', 'e', 's', 'a')
for i = 1, 4 do if not h[i] then h[i] = '' end end
return h
