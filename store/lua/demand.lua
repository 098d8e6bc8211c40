-- demand.lua: keep open demand per SKU in step with the cached orders.
-- KEYS[1] demand (hash SKU -> open units), KEYS[2] contributions (hash order id
-- -> "expiry hour|JSON object SKU -> units that order adds to demand"),
-- KEYS[3] the sweep's state over KEYS[2]: "HSCAN cursor|hour the pass
-- started".
-- ARGV[1] the current hour (unix seconds / 3600), then order id, contribution
-- ('' for none) pairs; each order id at most once per call (SaveOrders keeps
-- the last version of each order).
-- Each order's previous contribution is stored, so saving the same order again
-- applies only the difference and never counts twice. The differences of the
-- whole batch are summed first, so each SKU gets one HINCRBY per batch however
-- many orders carry it. A contribution lives as long as its order's record:
-- a call also sweeps as many stored contributions as it was given (at least
-- 16) and gives back the demand of those whose expiry hour has come, so an
-- order that leaves the cache while in flight does not hold demand for ever.
-- A pass over all contributions starts at most once an hour (they expire by
-- the hour), so the sweep costs one look per contribution an hour, not one
-- per order saved.
-- A contribution stored by an earlier version has no expiry prefix and stays
-- until its order is saved again. Returns the number of orders whose
-- contribution changed.

local nowH = tonumber(ARGV[1])
local ids = {}
for i = 2, #ARGV, 2 do ids[#ids + 1] = ARGV[i] end
local old = {}
if #ids > 0 then old = redis.call('HMGET', KEYS[2], unpack(ids)) end

-- body is a contribution without its expiry prefix.
local function body(v)
  local bar = string.find(v, '|', 1, true)
  if bar then return string.sub(v, bar + 1) end
  return v
end

local delta, set, del = {}, {}, {}
local changed = 0
local mine = {}
for k = 1, #ids do
  local new = ARGV[2 * k + 1]
  local prev = old[k] or ''
  mine[ids[k]] = true
  if prev ~= new then
    changed = changed + 1
    local pb, nb = body(prev), body(new)
    if pb ~= nb then
      if pb ~= '' then
        for sku, q in pairs(cjson.decode(pb)) do delta[sku] = (delta[sku] or 0) - q end
      end
      if nb ~= '' then
        for sku, q in pairs(cjson.decode(nb)) do delta[sku] = (delta[sku] or 0) + q end
      end
    end
    if new ~= '' then
      set[#set + 1] = ids[k]
      set[#set + 1] = new
    else
      del[#del + 1] = ids[k]
    end
  end
end

-- The sweep: contributions whose order has expired from the cache.
local state = redis.call('GET', KEYS[3])
local cursor, started = '0', -1
if state then
  local bar = string.find(state, '|', 1, true)
  if bar then
    cursor, started = string.sub(state, 1, bar - 1), tonumber(string.sub(state, bar + 1)) or -1
  end
end
if cursor ~= '0' or nowH > started then
  if cursor == '0' then started = nowH end
  local scan = redis.call('HSCAN', KEYS[2], cursor, 'COUNT', math.max(#ids, 16))
  local kv = scan[2]
  for i = 1, #kv, 2 do
    local id, v = kv[i], kv[i + 1]
    local bar = string.find(v, '|', 1, true)
    if not mine[id] and bar and tonumber(string.sub(v, 1, bar - 1)) <= nowH then
      for sku, q in pairs(cjson.decode(string.sub(v, bar + 1))) do delta[sku] = (delta[sku] or 0) - q end
      del[#del + 1] = id
    end
  end
  redis.call('SET', KEYS[3], scan[1] .. '|' .. started)
end

if #set > 0 then redis.call('HSET', KEYS[2], unpack(set)) end
if #del > 0 then redis.call('HDEL', KEYS[2], unpack(del)) end
for sku, d in pairs(delta) do
  if d ~= 0 then
    local total = redis.call('HINCRBY', KEYS[1], sku, string.format('%.0f', d))
    if total <= 0 then redis.call('HDEL', KEYS[1], sku) end
  end
end
return changed
