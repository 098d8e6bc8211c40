-- slack_storm_breach.lua: counts folded tickets' first breach in their episode.
-- KEYS: 1 storm hash, 2 breached set. ARGV episode id, then ticket ids. Returns
-- how many were counted now.

if (redis.call('HGET', KEYS[1], 'id') or '') ~= ARGV[1] then return 0 end
local n = 0
for i = 2, #ARGV do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then n = n + 1 end
end
if n > 0 then
  redis.call('HINCRBY', KEYS[1], 'breached', n)
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
end
return n
