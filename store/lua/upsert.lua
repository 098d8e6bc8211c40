-- upsert.lua: fold a batch of anomalies into tickets, one atomic step per
-- fingerprint (the whole batch is one script, so concurrent callers never open
-- two tickets for one fingerprint).
--
-- Per upsert, 14 arguments (strings as Go formatted them):
--   fingerprint kind department identity(m) order link(o) appearance(a)
--   content seen_ms
--   ack_due_ms ack_score resolve_due_ms resolve_score allowances(al)
--   reopen_within_ms
-- (due '0' = no target; the scores are the first SLA set scores, see above.)
--
-- Returns per upsert {id, change} for an opened ticket (the caller knows every
-- field of a new ticket) and {id, change, ticket hash} otherwise.
--
-- This script is the ticket engine's hot path (a poll cycle folds thousands of
-- anomalies, a storm opens tens of thousands of tickets), so it works in three
-- phases: one HMGET looks every fingerprint up; each upsert then runs with the
-- writes of new tickets to shared keys (index sets, SLA sets, fingerprint
-- index, content strings) collected; finally each shared key gets one write for
-- the whole batch. The open and recur paths write fields straight from ARGV and
-- do no number formatting. The rarer update and reopen paths use the general
-- helpers above, after flushing what was collected so far, so their index
-- changes apply in input order.

local PER = 14
local out = {}
local count = (#ARGV - ARG0) / PER
local NOW_S = ARGV[9]

local FIXED = {m = 2, o = 4, a = 6, s = 8, n = 10, ls = 14}

local function fromRaw(id, raw)
  local tk = {id = id, f = {}, d = {}}
  for j = 1, #raw, 2 do tk.f[raw[j]] = raw[j + 1] end
  return tk
end

-- reopenable reports whether a resolved ticket was resolved less than within ago.
local function reopenable(raw, within)
  for j = 1, #raw, 2 do
    if raw[j] == 'ra' then return tonumber(NOW_S) - tonumber(raw[j + 1]) < within end
  end
  return false
end

-- Phase 1: every fingerprint at once.
local fps = {}
for i = 0, count - 1 do fps[i + 1] = ARGV[ARG0 + i * PER + 1] end
local found = {}
if count > 0 then found = redis.call('HMGET', K_FP, unpack(fps)) end
local seenIn = {} -- fingerprint -> ticket id opened or reopened earlier in this batch

-- Writes of new tickets to shared keys, flushed once per batch.
local pend = {}
local function resetPending()
  pend = {open = {}, kinds = {}, depts = {}, ack = {}, res = {}, fp = {}, tx = {}}
end
resetPending()
local function addTo(map, key, id)
  local l = map[key]
  if l == nil then l = {}; map[key] = l end
  l[#l + 1] = id
end
-- Commands take at most a few thousand arguments comfortably; batches are far
-- smaller (Options.UpsertBatch), but chunk anyway so a large batch cannot
-- overflow Lua's unpack.
local function chunked(cmd, key, list)
  local n = #list
  for lo = 1, n, 4000 do
    local hi = math.min(lo + 3999, n)
    redis.call(cmd, key, unpack(list, lo, hi))
  end
end
local function flushPending()
  if #pend.open > 0 then chunked('SADD', P_ST .. 'open', pend.open) end
  for k, l in pairs(pend.kinds) do chunked('SADD', P_KD .. k, l) end
  for d, l in pairs(pend.depts) do chunked('SADD', P_DP .. d, l) end
  if #pend.ack > 0 then chunked('ZADD', K_ACK, pend.ack) end
  if #pend.res > 0 then chunked('ZADD', K_RES, pend.res) end
  if #pend.fp > 0 then chunked('HSET', K_FP, pend.fp) end
  if #pend.tx > 0 then
    for lo = 1, #pend.tx, 4000 do redis.call('MSET', unpack(pend.tx, lo, math.min(lo + 3999, #pend.tx))) end
  end
  resetPending()
end

-- Phase 2: each upsert in input order.
for i = 0, count - 1 do
  local b = ARG0 + i * PER
  local fp, kind, dept, m, o = ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4], ARGV[b + 5]
  local a, content, seen = ARGV[b + 6], ARGV[b + 7], ARGV[b + 8]
  local ad, as, rd, rs, al = ARGV[b + 9], ARGV[b + 10], ARGV[b + 11], ARGV[b + 12], ARGV[b + 13]
  local within = tonumber(ARGV[b + 14])

  local id = seenIn[fp] or found[i + 1]
  local raw = nil
  if id then
    raw = redis.call('HGETALL', P_TK .. id)
    if #raw == 0 then raw = nil end
  end
  -- pos maps the fields this path reads to their index in raw. A hash still in
  -- listpack encoding returns fields in insertion order, and the open path below
  -- writes m o a s n oa ls first and no script ever deletes them, so the usual
  -- case needs no scan; a converted (hashtable) hash falls back to one.
  local pos = nil
  if raw then
    if raw[1] == 'm' and raw[3] == 'o' and raw[5] == 'a' and raw[7] == 's' and raw[9] == 'n' and raw[13] == 'ls' then
      pos = FIXED
    else
      pos = {}
      for j = 1, #raw, 2 do pos[raw[j]] = j + 1 end
    end
  end

  if raw and raw[pos.s] ~= 'resolved' then
    if raw[pos.a] == a and raw[pos.o] == o and raw[pos.m] == m then
      -- Plain recurrence: count and last seen only. No version bump, no outbox
      -- entry: the condition is seen every poll cycle.
      local key = P_TK .. id
      raw[pos.n] = redis.call('HINCRBY', key, 'n', 1)
      if tonumber(seen) > tonumber(raw[pos.ls]) then
        redis.call('HSET', key, 'ls', seen)
        raw[pos.ls] = seen
      end
      out[#out + 1] = {id, 'recurred', table.concat(raw, '\0')}
    else
      flushPending()
      local tk = fromRaw(id, raw)
      set(tk, 'n', int(tk.f.n) + 1)
      if tonumber(seen) > int(tk.f.ls) then set(tk, 'ls', seen) end
      set(tk, 'm', m)
      set(tk, 'o', o)
      local what = {}
      if tk.f.a ~= a then
        local old, new = split(tk.f.a), split(a)
        local names = {'department', 'severity', 'stage'}
        for j = 1, 3 do
          if (old[j] or '') ~= (new[j] or '') then
            local o, n = old[j] or '', new[j] or ''
            if o == '' then o = 'none' end
            if n == '' then n = 'none' end
            what[#what + 1] = names[j] .. ' ' .. o .. ' -> ' .. n
          end
        end
        if (old[4] or '') ~= (new[4] or '') then
          what[#what + 1] = 'details changed'
          redis.call('SET', P_TX .. id, content)
        end
        setLook(tk, a)
      end
      if #what > 0 then
        commit(tk, 'updated', 'orderbot', 'recur', tk.f.s, table.concat(what, '; '), false)
        out[#out + 1] = {id, 'updated', flat(tk)}
      else
        -- Only the order link or source moved: nothing a card shows.
        flush(tk)
        out[#out + 1] = {id, 'recurred', flat(tk)}
      end
    end
  elseif raw and within > 0 and reopenable(raw, within) then
    -- Resolved recently and back again: the same ticket, reopened.
    flushPending()
    local tk = fromRaw(id, raw)
    reopen(tk, tonumber(ad), tonumber(rd))
    set(tk, 'n', int(tk.f.n) + 1)
    if tonumber(seen) > int(tk.f.ls) then set(tk, 'ls', seen) end
    set(tk, 'm', m)
    set(tk, 'o', o)
    setLook(tk, a)
    redis.call('SET', P_TX .. id, content)
    commit(tk, 'reopened', 'orderbot', 'reopen', 'resolved', 'the condition recurred', true)
    seenIn[fp] = id
    out[#out + 1] = {id, 'reopened', flat(tk)}
  else
    -- New problem (or resolved long enough ago to count as a new one).
    local nid = 'T' .. redis.call('INCR', K_SEQ)
    local h = {'m', m, 'o', o, 'a', a, 's', 'open', 'n', '1', 'oa', NOW_S, 'ls', seen, 'ua', NOW_S, 'v', '1', 'al', al}
    if ad ~= '0' then
      h[#h + 1] = 'ad'; h[#h + 1] = ad
      pend.ack[#pend.ack + 1] = as; pend.ack[#pend.ack + 1] = nid
    end
    if rd ~= '0' then
      h[#h + 1] = 'rd'; h[#h + 1] = rd
      pend.res[#pend.res + 1] = rs; pend.res[#pend.res + 1] = nid
    end
    redis.call('HSET', P_TK .. nid, unpack(h))
    pend.tx[#pend.tx + 1] = P_TX .. nid; pend.tx[#pend.tx + 1] = content
    pend.fp[#pend.fp + 1] = fp; pend.fp[#pend.fp + 1] = nid
    pend.open[#pend.open + 1] = nid
    addTo(pend.kinds, kind, nid)
    if dept ~= '' then addTo(pend.depts, dept, nid) end
    redis.call('XADD', K_OUT, '*', 't', nid, 'c', 'opened', 'v', '1')
    seenIn[fp] = nid
    out[#out + 1] = {nid, 'opened'}
  end
end

-- Phase 3: the shared keys, once each.
flushPending()
trimStream(K_OUT, OUTMAX)
return out
