-- rollup.lua: the analytics rollups (see rollups.go), kept in the same script
-- as the ticket change they count, so a figure can never disagree with the
-- tickets and survives their purge. scripts.go places this file between
-- common.lua and the script body; commit (common.lua) calls rollupChange, and
-- upsert.lua calls rollClass, rollOpen and rollFlush for the opens of a batch.
--
-- ARGV 12 prefix of the rollup keys (it carries the ticket space's hash tag, so
-- the keys live in the script's slot)   13 the hour of NOW (unix hours, UTC)
-- 14 the local date of NOW in the business zone (yyyymmdd), named by Go so Lua
-- does no calendar arithmetic.
--
-- Every counter of one hour is a field of one hash, an:h:<hour>:
--   <metric> US kind US department US source          = count
--   <metric> US kind US department US source US bucket = count (latency)
--   <metric> US kind US department US source US CUR    = minor units (money)
-- metrics: o opened, ro reopened, cl claimed (first claim), rs resolved by
-- staff, ra auto-resolved, b breached (once per ticket), hc time-to-claim and
-- hr time-to-resolve histograms (first claim, first resolution, measured from
-- the open), mo money at risk opened, mv money at risk of resolved tickets.
-- The SKUs, couriers, payment channels and regions of opened tickets count in
-- one sorted set per dimension and local day, an:z:<dim>:<yyyymmdd>.
-- Markers on the ticket string keep once-per-ticket figures once: xc (claim
-- time counted), xr (resolve time counted), xb (breach counted); ar holds the
-- ticket's money at risk as minor US currency.

local R_PRE, R_HOUR, R_DAY = ARGV[12], ARGV[13], ARGV[14]
local R_HKEY = R_PRE .. 'h:' .. R_HOUR
local R_LOG2 = math.log(2)

-- rollBucket is the latency bucket of ms: 0 below a second, else b with
-- 2^((b-1)/4) <= seconds < 2^(b/4) (four buckets per doubling, at most 19 %
-- apart, as an HDR histogram with two significant bits). store.LatencyBucket
-- is the same function in Go.
local function rollBucket(ms)
  local s = ms / 1000
  if s < 1 then return 0 end
  local b = math.floor(4 * math.log(s) / R_LOG2) + 1
  if b > 160 then b = 160 end
  return b
end

local function rollDim(tk)
  local o = split(tk.f.o)
  return split(tk.f.m)[1] .. '\31' .. (split(tk.f.a)[1] or '') .. '\31' .. (o[2] or '')
end

-- rollBreach counts a ticket's first missed target.
local function rollBreach(tk, dim)
  if tk.f.xb then return end
  set(tk, 'xb', '1')
  redis.call('HINCRBY', R_HKEY, 'b\31' .. dim, 1)
end

-- rollupChange counts one committed change of tk (common.lua's commit).
rollupChange = function(tk, change)
  local f = tk.f
  if change == 'claimed' or change == 'reassigned' then
    local dim = rollDim(tk)
    if f.ad and tonumber(f.ad) < NOW then rollBreach(tk, dim) end
    if not f.xc then
      set(tk, 'xc', '1')
      redis.call('HINCRBY', R_HKEY, 'cl\31' .. dim, 1)
      redis.call('HINCRBY', R_HKEY, 'hc\31' .. dim .. '\31' .. rollBucket(NOW - int(f.oa)), 1)
    end
  elseif change == 'resolved' or change == 'auto_resolved' then
    local dim = rollDim(tk)
    if f.rd and tonumber(f.rd) < NOW then rollBreach(tk, dim) end
    if change == 'resolved' then
      redis.call('HINCRBY', R_HKEY, 'rs\31' .. dim, 1)
    else
      redis.call('HINCRBY', R_HKEY, 'ra\31' .. dim, 1)
    end
    if not f.xr then
      set(tk, 'xr', '1')
      redis.call('HINCRBY', R_HKEY, 'hr\31' .. dim .. '\31' .. rollBucket(NOW - int(f.oa)), 1)
    end
    if f.ar then
      local minor, cur = string.match(f.ar, '^(%-?%d+)\31(.*)$')
      if minor then redis.call('HINCRBY', R_HKEY, 'mv\31' .. dim .. '\31' .. cur, minor) end
    end
  elseif change == 'reopened' then
    redis.call('HINCRBY', R_HKEY, 'ro\31' .. rollDim(tk), 1)
  elseif change == 'ack_breach' or change == 'resolve_breach' then
    rollBreach(tk, rollDim(tk))
  end
end

-- Opens of one upsert batch, added up in Lua and written once per distinct
-- field by rollFlush: a batch of 200 opens of one kind costs a handful of
-- writes, not 200.
local rollOpens = {}  -- class position -> rest -> {count, minor}
local rollSKUs = {}   -- sku -> count
local rollPend = nil  -- the upsert being looked at: {class position, minor, sku, rest}

-- rollClass returns the class of an upsert's class argument, which is either
-- the class position or "position US minor US sku US rest" with rest = source
-- US currency US courier US channel US region (ticketcodec.go, appendRollArg).
-- Only upserts that are not plain recurrences get here, so the parse costs the
-- hot path nothing.
local function rollClass(classes, arg)
  local c = classes[arg]
  if c then
    rollPend = nil
    return c
  end
  local pos, minor, sku, rest = string.match(arg, '^(%d+)\31(%-?%d*)\31([^\31]*)\31(.*)$')
  rollPend = {pos, minor, sku, rest}
  return classes[pos]
end

-- rollOpen counts an open of the upsert rollClass looked at last.
local function rollOpen(class)
  local p = rollPend
  if p == nil then
    p = {'', '', '', ''}
  end
  local key = class.kind .. '\31' .. class.dept
  local byRest = rollOpens[key]
  if byRest == nil then byRest = {}; rollOpens[key] = byRest end
  local acc = byRest[p[4]]
  if acc == nil then acc = {0, 0}; byRest[p[4]] = acc end
  acc[1] = acc[1] + 1
  if p[2] ~= '' then acc[2] = acc[2] + tonumber(p[2]) end
  if p[3] ~= '' then rollSKUs[p[3]] = (rollSKUs[p[3]] or 0) + 1 end
  rollPend = nil
end

local function rollZ(dim, member, n)
  if member ~= nil and member ~= '' then
    redis.call('ZINCRBY', R_PRE .. 'z:' .. dim .. ':' .. R_DAY, n, member)
  end
end

-- rollFlush writes what rollOpen added up.
local function rollFlush()
  local dims = {courier = {}, channel = {}, region = {}}
  for key, byRest in pairs(rollOpens) do
    -- Opens per kind, department and source; money per currency.
    local perSource = {}
    for rest, acc in pairs(byRest) do
      local src, cur, courier, channel, region = string.match(rest, '^([^\31]*)\31([^\31]*)\31([^\31]*)\31([^\31]*)\31(.*)$')
      if src == nil then src, cur = '', '' end
      local ps = perSource[src]
      if ps == nil then ps = {0, {}}; perSource[src] = ps end
      ps[1] = ps[1] + acc[1]
      if acc[2] ~= 0 and cur ~= '' then ps[2][cur] = (ps[2][cur] or 0) + acc[2] end
      if courier and courier ~= '' then dims.courier[courier] = (dims.courier[courier] or 0) + acc[1] end
      if channel and channel ~= '' then dims.channel[channel] = (dims.channel[channel] or 0) + acc[1] end
      if region and region ~= '' then dims.region[region] = (dims.region[region] or 0) + acc[1] end
    end
    for src, ps in pairs(perSource) do
      local dim = key .. '\31' .. src
      redis.call('HINCRBY', R_HKEY, 'o\31' .. dim, ps[1])
      for cur, minor in pairs(ps[2]) do
        redis.call('HINCRBY', R_HKEY, 'mo\31' .. dim .. '\31' .. cur, num(minor))
      end
    end
  end
  for sku, n in pairs(rollSKUs) do rollZ('sku', sku, n) end
  for dim, m in pairs(dims) do
    for member, n in pairs(m) do rollZ(dim, member, n) end
  end
  rollOpens, rollSKUs = {}, {}
end
