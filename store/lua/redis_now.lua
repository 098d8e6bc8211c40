-- redis_now.lua: the prelude that reads Redis's clock. Leases and pacing are
-- shared by replicas whose clocks may differ, so they use the server's.
local _t = redis.call('TIME')
local NOWMS = tonumber(_t[1]) * 1000 + math.floor(tonumber(_t[2]) / 1000)
local function fmt(n) return string.format('%.0f', n) end
