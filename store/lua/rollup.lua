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
-- one sorted set per dimension and local day, an:z:<dim>:<yyyymmdd>. Opens
-- reach the o and mo fields and those sets through the stream an:ev (see
-- rollOpens below and fold.lua).
-- Markers on the ticket string keep once-per-ticket figures once: xc (claim
-- time counted), xr (resolve time counted), xb (breach counted); ar holds the
-- ticket's money at risk as minor US currency.

local R_PRE, R_HOUR, R_DAY = ARGV[12], ARGV[13], ARGV[14]
-- An empty prefix turns the rollups off (only the benchmark that measures
-- their cost does that).
local R_ON = R_PRE ~= ''
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
  if not R_ON then return end
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

-- Opens of one upsert batch are not counted here: the batch's opens go, added
-- up by class and class argument, into one entry of the stream an:ev, in the
-- same script as the tickets they count, and Store.FoldRollups adds them to
-- the hour hashes and day lists later, summed over many batches. Counting
-- them here would cost a parse and a write per SKU, courier, channel and
-- region of nearly every open (measured at 3-5 µs of Redis CPU per open);
-- the stream entry costs a table increment per open.
local rollOpens = {}  -- class -> class argument -> count
local rollAny = false

-- rollClass returns the class of an upsert's class argument, which is either
-- the class position or "position US minor US sku US source US currency US
-- courier US channel US region" (rollups.go, rollArg). Only upserts that are
-- not plain recurrences get here, so the hot path never pays for it.
local function rollClass(classes, arg)
  local c = classes[arg]
  if c then return c end
  return classes[string.match(arg, '^%d+')]
end

-- rollOpen counts an open of the upsert with class argument arg.
local function rollOpen(class, arg)
  if not R_ON then return end
  local byArg = rollOpens[class]
  if byArg == nil then byArg = {}; rollOpens[class] = byArg end
  byArg[arg] = (byArg[arg] or 0) + 1
  rollAny = true
end

-- rollFlush writes the batch's opens as stream entries: h <hour> d <day>,
-- then per class c <kind US department> followed by <count> <class argument>
-- pairs (field names repeat, which streams allow).
local function rollFlush()
  if not R_ON or not rollAny then return end
  local key = R_PRE .. 'ev'
  local args, n = nil, 0
  local function start()
    args = {'h', R_HOUR, 'd', R_DAY}
    n = 4
  end
  local function send()
    if n > 4 then redis.call('XADD', key, '*', unpack(args, 1, n)) end
  end
  start()
  for class, byArg in pairs(rollOpens) do
    local head = class.kind .. '\31' .. class.dept
    args[n + 1], args[n + 2] = 'c', head
    n = n + 2
    for arg, count in pairs(byArg) do
      if n >= 7000 then
        -- Lua's unpack takes about 8,000 values: start another entry.
        send()
        start()
        args[n + 1], args[n + 2] = 'c', head
        n = n + 2
      end
      args[n + 1], args[n + 2] = num(count), arg
      n = n + 2
    end
  end
  send()
  rollOpens, rollAny = {}, false
end
