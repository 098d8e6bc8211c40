-- demand.lua: keep open demand per SKU in step with the cached orders.
-- KEYS[1] demand (hash SKU -> open units), KEYS[2] contributions (hash order id
-- -> JSON object SKU -> units that order adds to demand).
-- ARGV: order id, contribution JSON ('' for none) pairs; each order id at most
-- once per call (SaveOrders keeps the last version of each order).
-- Each order's previous contribution is stored, so saving the same order again
-- applies only the difference and never counts twice. The differences of the
-- whole batch are summed first, so each SKU gets one HINCRBY per batch however
-- many orders carry it. Returns the number of orders whose contribution changed.

local ids = {}
for i = 1, #ARGV, 2 do ids[#ids + 1] = ARGV[i] end
local old = redis.call('HMGET', KEYS[2], unpack(ids))

local delta, set, del = {}, {}, {}
local changed = 0
for k = 1, #ids do
  local new = ARGV[2 * k]
  local prev = old[k] or ''
  if prev ~= new then
    changed = changed + 1
    if prev ~= '' then
      for sku, q in pairs(cjson.decode(prev)) do delta[sku] = (delta[sku] or 0) - q end
    end
    if new ~= '' then
      for sku, q in pairs(cjson.decode(new)) do delta[sku] = (delta[sku] or 0) + q end
      set[#set + 1] = ids[k]
      set[#set + 1] = new
    else
      del[#del + 1] = ids[k]
    end
  end
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
