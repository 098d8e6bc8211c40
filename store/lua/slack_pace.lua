-- slack_pace.lua: reserves the next slot of a paced bucket (GCRA): it returns
-- how long the caller must wait before sending. KEYS[1] bucket; ARGV interval ms,
-- burst.

local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < NOWMS then tat = NOWMS end
local wait = tat - (burst - 1) * interval - NOWMS
if wait < 0 then wait = 0 end
local nt = tat + interval
redis.call('SET', KEYS[1], fmt(nt), 'PX', fmt(nt - NOWMS + 1000))
return wait
