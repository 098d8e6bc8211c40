-- contacts.lua: add orders to one shard of the contact index, and sweep a few
-- of the shard's entries so that expired ones go even for customers who never
-- order again.
-- KEYS[1] the shard's hash: contact digest -> entries; KEYS[2] the shard's
-- sweep state, "HSCAN cursor|unix second the current pass started". An entry
-- list is "expiry:order id" items (expiry in unix seconds), each ended by
-- \30, oldest first.
-- ARGV[1] now (unix seconds), ARGV[2] most entries kept per contact, ARGV[3]
-- the least time between the starts of two sweeps over the shard (seconds),
-- then triples: digest, order id, expiry. Returns the number of entries swept.
-- Entries live for days, so one pass over a shard an hour keeps the index
-- within an hour of exact, at a cost per hour of one look at each entry
-- rather than one per entry written.
local now = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local every = tonumber(ARGV[3])
local fields, n = {}, 0
for i = 4, #ARGV, 3 do
  n = n + 1
  fields[n] = ARGV[i]
end
local cur = {}
local maxExp = 0
if n > 0 then
  local old = redis.call('HMGET', KEYS[1], unpack(fields))
  for k = 1, n do
    local d, id, exp = ARGV[3 * k + 1], ARGV[3 * k + 2], ARGV[3 * k + 3]
    local v = cur[d] or old[k] or ''
    local out, m = {}, 0
    for e, oid in string.gmatch(v, '(%d+):([^\30]*)\30') do
      if tonumber(e) > now and oid ~= id then
        m = m + 1
        out[m] = e .. ':' .. oid .. '\30'
      end
    end
    m = m + 1
    out[m] = exp .. ':' .. id .. '\30'
    local first = 1
    if m > cap then first = m - cap + 1 end
    cur[d] = table.concat(out, '', first, m)
    if tonumber(exp) > maxExp then maxExp = tonumber(exp) end
  end
  local set, ns = {}, 0
  for d, v in pairs(cur) do
    set[ns + 1], set[ns + 2] = d, v
    ns = ns + 2
  end
  redis.call('HSET', KEYS[1], unpack(set))
end

-- Sweep as many entries as were written (at least 16), from where the last
-- call stopped, while a pass is under way or when the last one started at
-- least `every` seconds ago.
local swept = 0
local state = redis.call('GET', KEYS[2])
local cursor, started = '0', 0
if state then
  local bar = string.find(state, '|', 1, true)
  if bar then
    cursor, started = string.sub(state, 1, bar - 1), tonumber(string.sub(state, bar + 1)) or 0
  end
end
if cursor ~= '0' or now - started >= every then
  if cursor == '0' then started = now end
  local scan = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', math.max(n, 16))
  local kv = scan[2]
  local del, nd = {}, 0
  local upd, nu = {}, 0
  for i = 1, #kv, 2 do
    local d, v = kv[i], kv[i + 1]
    if not cur[d] then
      local out, m, total = {}, 0, 0
      for e, oid in string.gmatch(v, '(%d+):([^\30]*)\30') do
        total = total + 1
        if tonumber(e) > now then
          m = m + 1
          out[m] = e .. ':' .. oid .. '\30'
        end
      end
      swept = swept + total - m
      if m == 0 then
        nd = nd + 1
        del[nd] = d
      elseif m < total then
        upd[nu + 1], upd[nu + 2] = d, table.concat(out)
        nu = nu + 2
      end
    end
  end
  if nd > 0 then redis.call('HDEL', KEYS[1], unpack(del)) end
  if nu > 0 then redis.call('HSET', KEYS[1], unpack(upd)) end
  redis.call('SET', KEYS[2], scan[1] .. '|' .. started)
end
-- Both keys outlive every entry written so far and no longer: a shard that is
-- never written again disappears once its last entry has expired.
if maxExp > 0 then
  for _, k in ipairs(KEYS) do
    if redis.call('EXPIRETIME', k) < maxExp then redis.call('EXPIREAT', k, maxExp) end
  end
end
return swept
