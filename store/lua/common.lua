-- common.lua: the ticket model shared by every ticket script (upsert, transition,
-- sweep, purge, message ref). scripts.go prepends trim.lua and this file to each
-- script body, so every EVALSHA is self-contained.
--
-- KEYS (Store.ticketKeys):
--   1 fp index (hash fingerprint -> id)   2 id counter
--   3 sla:ack  4 sla:res  5 sla:wake     (sorted sets, see below)
--   6 outbox stream                       7 resolved set (id -> resolved at)
-- ARGV 1..7 (Store.ticketLayout): key prefixes tkt: rs: audit: idx:state:
--   idx:dept: idx:kind: idx:owner:
-- ARGV 8 now (unix ms)  9 warn-before (ms, 0 = off)  10 audit cap
-- ARGV 11 outbox bound  12..14 the analytics rollups' (rollup.lua); script
-- arguments start at ARGV[15].
--
-- A ticket is one string key, tkt:ID, holding its fields as
-- name NUL value NUL name NUL value ... (short names, all times unix ms). A
-- string rather than a hash because a recurrence, the hot path, then costs one
-- GET and one SETRANGE: reading a hash into Lua converts every field into a Lua
-- string, and rewriting a listpack hash field by field is far dearer. The
-- fields:
--   m   identity: kind US subject   (US = \31)
--   o   order link: order id (\30 when it equals the subject) US source
--   a   appearance: department US severity US stage US content digest
--   s state  ow owner  n count  oa opened  ls last seen  ua updated
--   ca claimed at  su snoozed until  ad ack due  rd resolve due
--   pa pr  remaining ack/resolve time while snoozed (may be negative)
--   al  the original ack and resolve allowances "ms:ms", reused on reopen
--   e escalation steps so far  ka kr  next ack/resolve escalation step
--   wa wr  ack/resolve warning sent  ra rb  resolved at/by  ro times reopened
--   v version  mc mt  Slack channel and ts of the ticket's card
--   fl  when the ticket was marked flapping (flapping.lua); reopen clears it
--   c   summary and facts, one JSON string (last: it is the long one)
-- Every ticket starts with a fixed head, written by serialise below:
--   n NUL <count, 10 digits> NUL ls NUL <last seen, 15 characters> NUL
--   m NUL <m> NUL o NUL <o> NUL a NUL <a> NUL s NUL <state> ...
-- Count and last seen are zero-padded to a fixed width, so they sit at fixed
-- offsets (bytes 3-12 and 17-31) and a recurrence rewrites them in place; m, o,
-- a and s follow at byte HEAD, so a recurrence checks "nothing visible changed
-- and the ticket is active" with one plain string.find of what the caller sent.
-- The resolution lives in rs:ID (only resolved tickets have one). Scripts
-- return a ticket as this same string; no value can hold a NUL (the Go side
-- refuses them in ids and JSON escapes them in the content).
--
-- SLA sorted sets hold a lower bound of when the sweeper must look at a ticket
-- next (due - warn at first, then due + steps[k]); the sweeper recomputes the
-- exact time from the ticket, so any transition may reset the score to the lower
-- bound without firing anything twice. sla:ack holds open tickets with an ack due,
-- sla:res open and claimed tickets with a resolve due, sla:wake snoozed tickets by
-- their snooze end.

local P_TK, P_RS, P_AU = ARGV[1], ARGV[2], ARGV[3]
local P_ST, P_DP, P_KD, P_OW = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local NOW_S = ARGV[8]
local NOW = tonumber(NOW_S)
local WARN = tonumber(ARGV[9])
local AUDITMAX = tonumber(ARGV[10])
local OUTMAX = tonumber(ARGV[11])
local ARG0 = 14
-- rollupChange counts a committed change in the analytics rollups; rollup.lua,
-- which follows this file, defines it.
local rollupChange
local K_FP, K_SEQ, K_ACK, K_RES, K_WAKE, K_OUT, K_DONE = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]

-- num renders a number without an exponent (tostring(1.7e12) would not).
local function num(n) return string.format('%.0f', n) end

local function int(v)
  if v == nil or v == false or v == '' then return 0 end
  return tonumber(v)
end

-- HEAD is where the m field starts; see the layout above.
local HEAD = 33
local COUNT_MAX = 9999999999
local TIME_MAX = 99999999999999

-- fmtCount and fmtTime give count and last seen their fixed widths (10 and 15
-- characters; a negative time keeps its sign inside the 15). The bounds are
-- centuries away; clamping them only guarantees the widths.
local function fmtCount(n)
  if n > COUNT_MAX then n = COUNT_MAX end
  return string.format('%010d', n)
end

local function fmtTime(t)
  if t > TIME_MAX then t = TIME_MAX elseif t < -TIME_MAX then t = -TIME_MAX end
  return string.format('%015d', t)
end

-- parse reads a ticket string into a field table.
local function parse(id, v)
  local f, pos, len = {}, 1, #v
  while pos <= len do
    local a = string.find(v, '\0', pos, true)
    if not a then break end
    local b = string.find(v, '\0', a + 1, true) or len + 1
    f[string.sub(v, pos, a - 1)] = string.sub(v, a + 1, b - 1)
    pos = b + 1
  end
  return {id = id, f = f, d = {}}
end

local function load(id)
  local v = redis.call('GET', P_TK .. id)
  if not v then return nil end
  return parse(id, v)
end

-- set records a field change; nil or '' deletes the field. flush writes the
-- ticket once, whatever changed.
local function set(tk, name, v)
  if v == '' then v = nil end
  if type(v) == 'number' then v = num(v) end
  if tk.f[name] ~= v then
    tk.f[name] = v
    tk.d[name] = true
  end
end

-- The fields after the head, in the order serialise writes them.
local REST = {'oa', 'ua', 'v', 'ow', 'ca', 'su', 'ad', 'rd', 'pa', 'pr', 'al', 'e', 'ka', 'kr', 'wa', 'wr', 'ra', 'rb', 'ro', 'mc', 'mt', 'c'}
local KNOWN = {n = true, ls = true, m = true, o = true, a = true, s = true}
for _, name in ipairs(REST) do KNOWN[name] = true end

-- serialise is the ticket string of a field table: the fixed head, the known
-- fields in a fixed order, then any field this code does not know (so a script
-- never drops a field a newer one added).
local function serialise(f)
  local out = {'n', fmtCount(int(f.n)), 'ls', fmtTime(int(f.ls)),
    'm', f.m or '', 'o', f.o or '', 'a', f.a or '', 's', f.s or ''}
  for _, name in ipairs(REST) do
    local v = f[name]
    if v ~= nil then
      out[#out + 1] = name
      out[#out + 1] = v
    end
  end
  for name, v in pairs(f) do
    if not KNOWN[name] then
      out[#out + 1] = name
      out[#out + 1] = v
    end
  end
  return table.concat(out, '\0')
end

local function flush(tk)
  if next(tk.d) ~= nil then redis.call('SET', P_TK .. tk.id, serialise(tk.f)) end
  tk.d = {}
end

local function flat(tk) return serialise(tk.f) end

-- split cuts a packed field at US.
local function split(v)
  local out, start = {}, 1
  if v == nil then return out end
  while true do
    local p = string.find(v, '\31', start, true)
    if not p then
      out[#out + 1] = string.sub(v, start)
      return out
    end
    out[#out + 1] = string.sub(v, start, p - 1)
    start = p + 1
  end
end

local function getOr(key)
  local v = redis.call('GET', key)
  if not v then return '' end
  return v
end

local function reindex(prefix, old, new, id)
  if old == new then return end
  if old ~= nil and old ~= '' then redis.call('SREM', prefix .. old, id) end
  if new ~= nil and new ~= '' then redis.call('SADD', prefix .. new, id) end
end

local function setState(tk, s)
  reindex(P_ST, tk.f.s, s, tk.id)
  set(tk, 's', s)
end

local function setOwner(tk, o)
  if o == '' then o = nil end
  reindex(P_OW, tk.f.ow, o, tk.id)
  set(tk, 'ow', o)
end

-- setLook sets the appearance field and moves the department index with it.
local function setLook(tk, a)
  reindex(P_DP, split(tk.f.a)[1], split(a)[1], tk.id)
  set(tk, 'a', a)
end

local function lowerBound(due)
  if WARN > 0 then return due - WARN end
  return due
end

-- slaSync puts the ticket into exactly the SLA sets its state calls for.
local function slaSync(tk)
  local f, id = tk.f, tk.id
  if f.s == 'open' and f.ad then
    redis.call('ZADD', K_ACK, num(lowerBound(tonumber(f.ad))), id)
  else
    redis.call('ZREM', K_ACK, id)
  end
  if (f.s == 'open' or f.s == 'claimed') and f.rd then
    redis.call('ZADD', K_RES, num(lowerBound(tonumber(f.rd))), id)
  else
    redis.call('ZREM', K_RES, id)
  end
  if f.s == 'snoozed' and f.su then
    redis.call('ZADD', K_WAKE, f.su, id)
  else
    redis.call('ZREM', K_WAKE, id)
  end
end

-- pause stops the SLA clocks of a ticket being snoozed: the time left (negative
-- once breached) is kept and the due times are cleared.
local function pause(tk)
  local f = tk.f
  if f.ad then set(tk, 'pa', tonumber(f.ad) - NOW); set(tk, 'ad', nil) end
  if f.rd then set(tk, 'pr', tonumber(f.rd) - NOW); set(tk, 'rd', nil) end
end

-- resume restarts paused clocks from now with the time that was left.
local function resume(tk)
  local f = tk.f
  if f.pa then set(tk, 'ad', NOW + tonumber(f.pa)); set(tk, 'pa', nil) end
  if f.pr then set(tk, 'rd', NOW + tonumber(f.pr)); set(tk, 'pr', nil) end
  set(tk, 'su', nil)
end

-- setTargets sets new SLA due times (0 = none) and remembers their allowances,
-- so a reopen without explicit targets gets the same allowance again.
local function setTargets(tk, ad, rd)
  if ad > 0 then set(tk, 'ad', ad) else set(tk, 'ad', nil) end
  if rd > 0 then set(tk, 'rd', rd) else set(tk, 'rd', nil) end
  local da, dr = 0, 0
  if ad > 0 then da = math.max(1, ad - NOW) end
  if rd > 0 then dr = math.max(1, rd - NOW) end
  set(tk, 'al', num(da) .. ':' .. num(dr))
end

-- allowances returns the ack and resolve allowances recorded by setTargets.
local function allowances(tk)
  local da, dr = string.match(tk.f.al or '', '^(%d+):(%d+)$')
  return int(da), int(dr)
end

-- reopen turns a resolved ticket back into an open, unowned one with fresh SLA
-- targets and fresh escalation chains.
local function reopen(tk, ad, rd)
  setState(tk, 'open')
  setOwner(tk, nil)
  for _, name in ipairs({'ca', 'su', 'pa', 'pr', 'ka', 'kr', 'wa', 'wr', 'ra', 'rb', 'fl'}) do set(tk, name, nil) end
  setTargets(tk, ad, rd)
  set(tk, 'ro', int(tk.f.ro) + 1)
  redis.call('DEL', P_RS .. tk.id)
  redis.call('ZREM', K_DONE, tk.id)
end

local function audit(id, actor, action, from, to, detail)
  local n = redis.call('RPUSH', P_AU .. id, cjson.encode({num(NOW), actor, action, from, to, detail}))
  if n > AUDITMAX then redis.call('LTRIM', P_AU .. id, -AUDITMAX, -1) end
end

-- commit ends every change: version and update time, the ticket write, SLA sets,
-- the audit entry (the open itself is implicit, see Store.Audit; an empty
-- action writes none) and the outbox entry, all inside the calling script.
local function commit(tk, change, actor, action, from, detail, slaChanged, extra)
  rollupChange(tk, change)
  set(tk, 'v', int(tk.f.v) + 1)
  set(tk, 'ua', NOW)
  flush(tk)
  if slaChanged then slaSync(tk) end
  if action ~= 'open' and action ~= '' then audit(tk.id, actor, action, from, tk.f.s, detail) end
  local fields = {'t', tk.id, 'c', change, 'v', tk.f.v}
  if actor ~= '' then fields[#fields + 1] = 'actor'; fields[#fields + 1] = actor end
  if detail ~= '' then fields[#fields + 1] = 'detail'; fields[#fields + 1] = detail end
  if extra then
    for i = 1, #extra do fields[#fields + 1] = extra[i] end
  end
  redis.call('XADD', K_OUT, '*', unpack(fields))
end

-- check decides what an action does to the ticket as it is now: 'ok' (a
-- change), 'noop' (an idempotent repeat), 'invalid:<why>' or a conflict reason
-- (the state or situation that forbids it).
local function check(tk, action, a)
  local f = tk.f
  local s = f.s
  local active = s ~= 'resolved'
  if action == 'note' then return 'ok' end
  if action == 'reopen' then
    if active then return 'noop' end
    return 'ok'
  end
  if action == 'resolve' or action == 'auto_resolve' then
    if active then return 'ok' end
    if action == 'auto_resolve' or f.rb == a.actor then return 'noop' end
    return 'resolved'
  end
  if not active then return 'resolved' end
  if action == 'claim' then
    if s == 'claimed' then
      if f.ow == a.actor then return 'noop' end
      return 'claimed'
    end
    return 'ok'
  elseif action == 'release' then
    if s == 'open' then return 'noop' end
    if s == 'snoozed' then return 'snoozed' end
    return 'ok'
  elseif action == 'reassign' then
    if s == 'claimed' and f.ow == a.owner then return 'noop' end
    return 'ok'
  elseif action == 'snooze' then
    if a.untilMs <= NOW then return 'invalid:past' end
    if s == 'snoozed' and int(f.su) == a.untilMs then return 'noop' end
    return 'ok'
  elseif action == 'wake' then
    if s ~= 'snoozed' then return 'noop' end
    if int(f.su) > NOW then return 'snoozed' end
    return 'ok'
  elseif action == 'escalate' then
    return 'ok'
  end
  return 'invalid:action'
end

-- mutate applies an action check allowed; it returns the change and whether SLA
-- sets need updating.
local function mutate(tk, action, a)
  local s = tk.f.s
  if action == 'claim' then
    if s == 'snoozed' then resume(tk) end
    setState(tk, 'claimed')
    setOwner(tk, a.actor)
    set(tk, 'ca', NOW)
    return 'claimed', true
  elseif action == 'release' then
    setState(tk, 'open')
    setOwner(tk, nil)
    set(tk, 'ca', nil)
    return 'released', true
  elseif action == 'reassign' then
    if s == 'snoozed' then resume(tk) end
    setState(tk, 'claimed')
    setOwner(tk, a.owner)
    set(tk, 'ca', NOW)
    return 'reassigned', true
  elseif action == 'snooze' then
    if s ~= 'snoozed' then pause(tk) end
    setState(tk, 'snoozed')
    set(tk, 'su', a.untilMs)
    return 'snoozed', true
  elseif action == 'wake' then
    resume(tk)
    if tk.f.ow then setState(tk, 'claimed') else setState(tk, 'open') end
    return 'woken', true
  elseif action == 'escalate' then
    set(tk, 'e', int(tk.f.e) + 1)
    return 'escalated', false
  elseif action == 'resolve' or action == 'auto_resolve' then
    if s == 'snoozed' then resume(tk) end
    setState(tk, 'resolved')
    set(tk, 'ra', NOW)
    set(tk, 'rb', a.actor)
    if a.res ~= '' then redis.call('SET', P_RS .. tk.id, a.res) end
    redis.call('ZADD', K_DONE, num(NOW), tk.id)
    if action == 'resolve' then return 'resolved', true end
    return 'auto_resolved', true
  elseif action == 'reopen' then
    local ad, rd = a.ad, a.rd
    if ad < 0 or rd < 0 then
      local da, dr = allowances(tk)
      ad, rd = 0, 0
      if da > 0 then ad = NOW + da end
      if dr > 0 then rd = NOW + dr end
    end
    reopen(tk, ad, rd)
    return 'reopened', true
  end
  return 'noted', false
end
