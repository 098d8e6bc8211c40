-- slack_post_abort.lua: KEYS[1]; ARGV holder, reached ('1' when the call may
-- have reached Slack). Releases the holder's lease; when the call certainly did
-- not post, the uncertainty goes back to what it was before the attempt.

if redis.call('HGET', KEYS[1], 'o') ~= ARGV[1] then return 0 end
if ARGV[2] ~= '1' then
  redis.call('HSET', KEYS[1], 'u', redis.call('HGET', KEYS[1], 'pu') or '0')
end
redis.call('HDEL', KEYS[1], 'o', 'l', 'pu')
return 1
