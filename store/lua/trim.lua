-- trim.lua: bounded outbox streams that never lose an unacknowledged entry.
--
-- XADD ... MAXLEN would drop the oldest entries whether or not a consumer group
-- has processed them. Instead, once a stream is longer than its bound plus some
-- slack, we compute the oldest id any consumer group still needs: the smallest
-- id in the group's pending entries list (delivered, not yet acknowledged) or,
-- with nothing pending, the id after the group's last-delivered-id (everything
-- later is not even read yet). XTRIM MINID ~ <that id> LIMIT <excess> then drops
-- whole stream nodes that lie entirely below it, and never more than the excess
-- over the bound. A stream without any consumer group has nobody to wait for and
-- is trimmed with MAXLEN ~ <bound>.

local function idParts(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end

local function idLess(a, b)
  local am, as = idParts(a)
  local bm, bs = idParts(b)
  if am ~= bm then return am < bm end
  return as < bs
end

local function idNext(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  -- Sequence numbers beyond 2^53 lose precision in Lua; keeping the entry itself
  -- (one extra entry retained) is the safe side.
  if #seq > 15 then return id end
  return ms .. '-' .. string.format('%.0f', tonumber(seq) + 1)
end

local function trimStream(key, bound)
  if bound <= 0 then return end
  local n = redis.call('XLEN', key)
  local slack = math.max(100, math.floor(bound / 100))
  if n <= bound + slack then return end
  local floor = nil
  local groups = redis.call('XINFO', 'GROUPS', key)
  for _, g in ipairs(groups) do
    local m = {}
    for i = 1, #g, 2 do m[g[i]] = g[i + 1] end
    local need
    if tonumber(m['pending']) > 0 then
      need = redis.call('XPENDING', key, m['name'])[2]
    else
      need = idNext(m['last-delivered-id'])
    end
    if floor == nil or idLess(need, floor) then floor = need end
  end
  if floor == nil then
    redis.call('XTRIM', key, 'MAXLEN', '~', bound)
  else
    redis.call('XTRIM', key, 'MINID', '~', floor, 'LIMIT', n - bound)
  end
end
