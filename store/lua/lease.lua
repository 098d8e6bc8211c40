-- lease.lua: release (ARGV[2] = 'release') or renew (ARGV[2] = 'renew', ARGV[3]
-- ttl ms) a lease only while the caller still holds it (ARGV[1] holder).
-- KEYS[1] lease. Returns 1 when the caller held it.

if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == 'release' then
  redis.call('DEL', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
