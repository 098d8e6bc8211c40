-- slack_admit.lua: decides, atomically across replicas, which new tickets of a
-- kind get their own card in a channel and which fold into the channel's storm
-- summary. KEYS: 1 window zset, 2 storm hash, 3 subjects zset, 4 fold hash,
-- 5 breached set. ARGV: now ms, window ms, threshold, keep ms, channel, then
-- id, subject, count, at-risk minor units, at-risk currency per ticket. A
-- replay of an admitted ticket gets the same answer without counting twice.
-- The storm hash sums the money at risk per currency in fields "r:CUR".

local now, win, thr, keep, ch = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local function fmt(n) return string.format('%.0f', n) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - win))
local active = tonumber(redis.call('HGET', KEYS[2], 'until') or '0') > now
local sid = redis.call('HGET', KEYS[2], 'id') or '0'
local carded, folded = {}, {}
for i = 6, #ARGV, 5 do
  local id, subj, n, risk, cur = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local f = redis.call('HGET', KEYS[4], id)
  if f then
    folded[#folded + 1] = id
    if f == sid then redis.call('ZADD', KEYS[3], n, subj) end
  elseif redis.call('ZSCORE', KEYS[1], id) then
    carded[#carded + 1] = id
  else
    local fold = active
    if not active then
      redis.call('ZADD', KEYS[1], fmt(now), id)
      if redis.call('ZCARD', KEYS[1]) > thr then
        redis.call('ZREM', KEYS[1], id)
        sid = tostring(redis.call('HINCRBY', KEYS[2], 'id', 1))
        redis.call('HSET', KEYS[2], 'total', 0, 'started', fmt(now), 'carded', redis.call('ZCARD', KEYS[1]))
        local old = redis.call('HKEYS', KEYS[2])
        for _, f in ipairs(old) do
          if string.sub(f, 1, 2) == 'r:' then redis.call('HDEL', KEYS[2], f) end
        end
        redis.call('DEL', KEYS[3], KEYS[5])
        active = true
        fold = true
      else
        carded[#carded + 1] = id
      end
    end
    if fold then
      redis.call('HINCRBY', KEYS[2], 'total', 1)
      if risk ~= '0' and cur ~= '' then redis.call('HINCRBY', KEYS[2], 'r:' .. cur, risk) end
      redis.call('HSET', KEYS[2], 'last', fmt(now), 'until', fmt(now + win))
      redis.call('ZADD', KEYS[3], n, subj)
      redis.call('HSET', KEYS[4], id, sid)
      folded[#folded + 1] = id
    end
  end
end
redis.call('PEXPIRE', KEYS[1], fmt(win + 60000))
for i = 2, 5 do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], keep) end
end
return {carded, folded, sid}
