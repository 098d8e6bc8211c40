-- pending.lua: the open side of the flap guard (orderbot.FlapGuard), prepended
-- to upsert.lua. A condition of a gated kind (OpenAfter > 1 or OpenFor > 0)
-- without an active ticket is counted in its kind's pending hash, fingerprint
-- -> "evaluations:first seen:last seen" (unix ms, times of the evaluations
-- that found it), until it has been found in OpenAfter evaluations and for
-- OpenFor; then it opens (or reopens) its ticket and leaves the hash. The
-- ticket engine drops an entry as soon as an evaluation finds the condition
-- gone (Store.DropPending), so the evaluations counted are consecutive ones.

-- held counts one more evaluation of fp (seen: its time) and reports whether
-- the condition has now held long enough to open.
local function held(class, fp, seen)
  local n, first, last = 0, seen, nil
  local v = redis.call('HGET', class.pend, fp)
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
    if v then redis.call('HDEL', class.pend, fp) end
    return true
  end
  redis.call('HSET', class.pend, fp, n .. ':' .. num(first) .. ':' .. num(last))
  return false
end
