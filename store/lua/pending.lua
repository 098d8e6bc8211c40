-- pending.lua: the open side of the flap guard (orderbot.FlapGuard), prepended
-- to upsert.lua. A condition of a gated kind (OpenAfter > 1 or OpenFor > 0)
-- without an active ticket is counted in its kind's pending hash, fingerprint
-- -> "evaluations:first seen:last seen" (unix ms, times of the evaluations
-- that found it), until it has been found in OpenAfter evaluations and for
-- OpenFor; then it opens (or reopens) its ticket and leaves the hash. The
-- ticket engine drops an entry as soon as an evaluation finds the condition
-- gone (Store.DropPending), so the evaluations counted are consecutive ones.
--
-- Like the rest of the upsert, the hash is read with one HMGET per kind and
-- written with one HSET and one HDEL per kind for the whole batch
-- (prefetchPending, flushPendingHash); values read or written earlier in the
-- batch are taken from pend.cache.

local pend = {cache = {}, set = {}, del = {}}

-- prefetchPending reads the pending values of fps (a list per pending hash)
-- into the cache.
local function prefetchPending(byKey)
  for key, fps in pairs(byKey) do
    local c = pend.cache[key] or {}
    pend.cache[key] = c
    for lo = 1, #fps, 4000 do
      local hi = math.min(lo + 3999, #fps)
      local vals = redis.call('HMGET', key, unpack(fps, lo, hi))
      for j = lo, hi do c[fps[j]] = vals[j - lo + 1] or false end
    end
  end
end

local function pendingValue(key, fp)
  local c = pend.cache[key]
  if c == nil then
    c = {}
    pend.cache[key] = c
  end
  local v = c[fp]
  if v == nil then
    v = redis.call('HGET', key, fp) or false
    c[fp] = v
  end
  return v
end

local function writePending(key, fp, v)
  pend.cache[key][fp] = v
  local t = pend.set
  if not v then t = pend.del end
  local l = t[key]
  if l == nil then
    l = {}
    t[key] = l
  end
  l[#l + 1] = fp
end

-- held counts one more evaluation of fp (seen: its time) and reports whether
-- the condition has now held long enough to open.
local function held(class, fp, seen)
  local n, first, last = 0, seen, nil
  local v = pendingValue(class.pend, fp)
  if v then
    local a, b, c = string.match(v, '^(%d+):(%-?%d+):(%-?%d+)$')
    if a then n, first, last = tonumber(a), tonumber(b), tonumber(c) end
  end
  -- A retried cycle brings the same evaluation again: it counts once.
  if last == nil or seen > last then
    n = n + 1
    last = seen
  end
  if n >= class.after and last - first >= class.holdFor then
    if v then writePending(class.pend, fp, false) end
    return true
  end
  writePending(class.pend, fp, n .. ':' .. num(first) .. ':' .. num(last))
  return false
end

-- flushPendingHash writes what held decided, once per pending hash. A
-- fingerprint written twice keeps its last value (the cache holds it).
local function flushPendingHash()
  for key, fps in pairs(pend.set) do
    local fv, seen = {}, {}
    for _, fp in ipairs(fps) do
      local v = pend.cache[key][fp]
      if v and not seen[fp] then
        seen[fp] = true
        fv[#fv + 1] = fp
        fv[#fv + 1] = v
      end
    end
    for lo = 1, #fv, 4000 do redis.call('HSET', key, unpack(fv, lo, math.min(lo + 3999, #fv))) end
  end
  for key, fps in pairs(pend.del) do
    local del = {}
    for _, fp in ipairs(fps) do
      if not pend.cache[key][fp] then del[#del + 1] = fp end
    end
    for lo = 1, #del, 4000 do redis.call('HDEL', key, unpack(del, lo, math.min(lo + 3999, #del))) end
  end
end
