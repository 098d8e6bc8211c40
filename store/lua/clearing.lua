-- clearing.lua: the resolve side of the flap guard (orderbot.FlapGuard) and
-- its churn check, for active tickets of one kind that an evaluation found
-- cleared. Per fingerprint, clr:<fp> holds "evaluations:first clear:last
-- clear" (unix ms) and churn:<fp> the times of its recent automatic
-- resolutions, comma-separated; both expire by themselves.
--
-- KEYS[1]: the fingerprint index, only so that Redis Cluster routes the call to
-- the ticket slot (every key here carries the {t} tag).
-- ARGV: 1 clr: prefix  2 churn: prefix  3 now (ms)  4 ResolveAfter
--   5 ResolveFor (ms)  6 ChurnLimit (0 = off)  7 ChurnWindow (ms)  8 TTL (ms)
--   then per ticket 3: fingerprint, last seen (ms), "1" when it is flapping.
-- Returns one verdict per ticket:
--   wait     not clear for long enough yet
--   resolve  auto-resolve it now (its churn count already includes this one)
--   flap     it churned ChurnLimit times within ChurnWindow: mark it flapping
--            and keep it open
--   hold     it is flapping and has not been clear for a whole ChurnWindow

local P_CLR, P_CHURN = ARGV[1], ARGV[2]
local now, after, forMs = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local limit, window, ttl = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]
local out = {}
for i = 9, #ARGV, 3 do
  local fp, seen, flapping = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2] == '1'
  local key = P_CLR .. fp
  local n, first, last = 0, now, nil
  local v = redis.call('GET', key)
  if v then
    local a, b, c = string.match(v, '^(%d+):(%-?%d+):(%-?%d+)$')
    -- Seen again since it started clearing: the count starts over.
    if a and seen < tonumber(b) then n, first, last = tonumber(a), tonumber(b), tonumber(c) end
  end
  if last == nil or now > last then
    n = n + 1
    last = now
  end
  local verdict = 'wait'
  if n >= after and last - first >= forMs then
    if flapping then
      if now - seen >= window then verdict = 'resolve' else verdict = 'hold' end
    else
      verdict = 'resolve'
      if limit > 0 then
        local kept, recent = {}, 0
        for t in string.gmatch(redis.call('GET', P_CHURN .. fp) or '', '[^,]+') do
          if now - tonumber(t) < window then
            recent = recent + 1
            kept[recent] = t
          end
        end
        if recent >= limit then
          verdict = 'flap'
        else
          kept[recent + 1] = string.format('%.0f', now)
          redis.call('SET', P_CHURN .. fp, table.concat(kept, ','), 'PX', window)
        end
      end
    end
  end
  if verdict == 'resolve' then
    redis.call('DEL', key)
  else
    redis.call('SET', key, string.format('%d:%.0f:%.0f', n, first, last), 'PX', ttl)
  end
  out[#out + 1] = verdict
end
return out
