-- upsert.lua: fold a batch of anomalies into tickets, one atomic step per
-- fingerprint (the whole batch is one script, so concurrent callers never open
-- two tickets for one fingerprint).
--
-- Arguments, every one formatted by the Go side (ticketcodec.go) so that this
-- script only compares, concatenates and passes strings on:
--   nclasses, then per class 8: kind, department (the index sets of a new
--     ticket), ack score, resolve score (its first SLA set scores, '' = no
--     target), reopen window in ms, and the flap guard's open side (see
--     pending.lua): evaluations, duration in ms, the kind's pending hash;
--   then per upsert 5:
--     fingerprint
--     look    m NUL <m> NUL o NUL <o> NUL a NUL <a> NUL s NUL: the ticket string
--             from HEAD up to the state value, as a ticket whose identity,
--             order link and appearance are this upsert's has it
--     seen    last-seen time, in fmtTime's fixed width
--     ticket  the whole string of the ticket this upsert would open (count 1,
--             state open, SLA targets, content)
--     class   the position of its class, "1" for the first.
-- An argument costs Redis about as much as one string.sub (about 1,000
-- instructions, measured with callgrind, plus garbage collection in proportion
-- to its bytes), so what only an open needs comes ready to use (the ticket
-- string, index keys, scores) rather than split out here, and the values that
-- upserts of one poll share (kind, department, targets) come once per class
-- rather than once per upsert.
--
-- Returns, per upsert in input order, change and id, and then for every change
-- but "opened" and "pending" the ticket string and counters:
--   opened:    nothing more; the caller knows every field of a new ticket.
--   pending:   an empty id and nothing more: the flap guard holds the open back.
--   recurred with counters: the plain recurrence below. The ticket is the
--              string as it was before this step and counters what replaced
--              its bytes 3-31 (count and last seen), so the script never builds
--              a new copy of the string.
--   otherwise: the ticket string after the step, and empty counters.
--
-- This script is the ticket engine's hot path (a poll cycle folds thousands of
-- anomalies, a storm opens tens of thousands of tickets). Redis runs it on one
-- core, and there a Lua string operation or small table costs a third to a half
-- of a simple command (string.sub about 900 instructions, GET of a missing key
-- about 2,700), so the script does as few of them as it can:
--   1. one HMGET looks every fingerprint up, and one INCRBY reserves an id for
--      every fingerprint that has no ticket yet;
--   2. each upsert runs in input order. A plain recurrence is GET, one
--      string.find, SETRANGE. An open writes only its outbox entry straight
--      away; its ticket string and its entries in the index sets, SLA sets and
--      fingerprint index are collected;
--   3. each shared key gets one variadic write for the whole batch (one MSET of
--      every new ticket, one SADD per index set, one ZADD per SLA set, one HSET
--      of the fingerprint index).
-- The rarer update and reopen paths use the general model above, after writing
-- what was collected so far, so their index changes apply in input order.

local classes = {}
local nclasses = tonumber(ARGV[ARG0 + 1])
for k = 1, nclasses do
  local c = ARG0 + 1 + (k - 1) * 8
  local after, holdFor = tonumber(ARGV[c + 6]), tonumber(ARGV[c + 7])
  classes[string.format('%d', k)] = {
    kind = ARGV[c + 1], dept = ARGV[c + 2], ack = ARGV[c + 3], res = ARGV[c + 4], within = tonumber(ARGV[c + 5]),
    after = after, holdFor = holdFor, pend = ARGV[c + 8], gated = after > 1 or holdFor > 0,
  }
end
local PER = 5
local FIRST = ARG0 + 1 + nclasses * 8 -- ARGV index before the first upsert
local count = (#ARGV - FIRST) / PER
local out, nout = {}, 0
local RESOLVED = string.byte('r') -- the first byte of the state "resolved"

-- Phase 1: every fingerprint at once.
local fps = {}
for i = 1, count do fps[i] = ARGV[FIRST + (i - 1) * PER + 1] end
local found = {}
if count > 0 then found = redis.call('HMGET', K_FP, unpack(fps)) end
-- Each distinct fingerprint without a ticket opens exactly one in this batch
-- (its first upsert opens, later ones recur on it), so its id is known now: one
-- INCRBY for all of them instead of an INCR per open. A gated one may not open
-- yet and takes its id when it does.
local fresh, nfresh, gatedNew = {}, 0, nil
for i = 1, count do
  local fp = fps[i]
  if not found[i] then
    local class = rollClass(classes, ARGV[FIRST + (i - 1) * PER + 5])
    if class.gated then
      -- A new condition of a gated kind: its pending count is read up front.
      gatedNew = gatedNew or {}
      local l = gatedNew[class.pend] or {}
      gatedNew[class.pend] = l
      l[#l + 1] = fp
    elseif not fresh[fp] then
      fresh[fp] = true
      nfresh = nfresh + 1
    end
  end
end
if gatedNew then prefetchPending(gatedNew) end
local lastID = 0
if nfresh > 0 then lastID = redis.call('INCRBY', K_SEQ, nfresh) - nfresh end

local function newID(fp)
  if fresh[fp] then
    fresh[fp] = nil
    lastID = lastID + 1
    return string.format('T%d', lastID)
  end
  -- A fingerprint whose ticket was resolved too long ago to reopen (or whose
  -- ticket key is gone) opens a new ticket with an id of its own.
  return 'T' .. redis.call('INCR', K_SEQ)
end

-- reopenable reports whether a ticket resolved at ra is back within the reopen
-- window (0 = never reopen).
local function reopenable(ra, within)
  return within > 0 and NOW - ra < within
end

-- fingerprint -> ticket id opened or reopened earlier in this batch
local seenIn = {}

-- Writes of new tickets, flushed once per batch (or before a slow path). The
-- lists are pairs, as the commands take them; counters instead of # because
-- # costs a search on every append.
local nkeys, nopen, nack, nres, nfp
local keys, open, kinds, depts, ack, res, fpi
local function resetPending()
  keys, open, kinds, depts, ack, res, fpi = {}, {}, {}, {}, {}, {}, {}
  nkeys, nopen, nack, nres, nfp = 0, 0, 0, 0, 0
end
resetPending()
local function addTo(map, key, id)
  local l = map[key]
  if l == nil then l = {}; map[key] = l end
  l[#l + 1] = id
end
-- Lua's unpack takes at most about 8,000 values; batches are far smaller
-- (Options.UpsertBatch), but chunk anyway so no batch size can overflow it.
local function chunked(cmd, key, list, n)
  for lo = 1, n, 4000 do
    local hi = math.min(lo + 3999, n)
    if key then
      redis.call(cmd, key, unpack(list, lo, hi))
    else
      redis.call(cmd, unpack(list, lo, hi))
    end
  end
end
local function flushPending()
  -- Every pending write comes with an open, and every open writes a key.
  if nkeys == 0 then return end
  chunked('MSET', nil, keys, nkeys)
  if nopen > 0 then chunked('SADD', P_ST .. 'open', open, nopen) end
  for k, l in pairs(kinds) do chunked('SADD', P_KD .. k, l, #l) end
  for d, l in pairs(depts) do chunked('SADD', P_DP .. d, l, #l) end
  if nack > 0 then chunked('ZADD', K_ACK, ack, nack) end
  if nres > 0 then chunked('ZADD', K_RES, res, nres) end
  if nfp > 0 then chunked('HSET', K_FP, fpi, nfp) end
  resetPending()
end

-- Phase 2: each upsert in input order.
for i = 1, count do
  local b = FIRST + (i - 1) * PER
  local fp, look, seen = ARGV[b + 1], ARGV[b + 2], ARGV[b + 3]

  local id = seenIn[fp]
  -- A ticket opened earlier in this batch may still be waiting in keys.
  if id then flushPending() else id = found[i] end
  local key, v = nil, nil
  if id then
    key = P_TK .. id
    v = redis.call('GET', key)
  end

  if v and string.find(v, look, HEAD, true) == HEAD and string.byte(v, HEAD + #look) ~= RESOLVED then
    -- Plain recurrence: identity, order link and appearance are unchanged and
    -- the ticket is active. Count and last seen only, in place. No version
    -- bump, no outbox entry: the condition is seen every poll cycle.
    local ls = string.sub(v, 17, 31)
    if seen ~= ls and tonumber(seen) > tonumber(ls) then ls = seen end
    local counters = fmtCount(tonumber(string.sub(v, 3, 12)) + 1) .. '\0ls\0' .. ls
    redis.call('SETRANGE', key, '2', counters)
    out[nout + 1], out[nout + 2], out[nout + 3], out[nout + 4] = 'recurred', id, v, counters
    nout = nout + 4
  else
    local newTicket, class = ARGV[b + 4], rollClass(classes, ARGV[b + 5])
    local tk = nil
    if v then tk = parse(id, v) end
    if class.gated and not (tk and tk.f.s ~= 'resolved') and not held(class, fp, tonumber(seen)) then
      -- Flap guard: not found in enough evaluations yet to open or reopen.
      out[nout + 1], out[nout + 2] = 'pending', ''
      nout = nout + 2
    elseif tk and tk.f.s ~= 'resolved' then
      -- Active, but something the card shows (or the order link) changed.
      flushPending()
      local nf = parse(id, newTicket).f
      set(tk, 'n', int(tk.f.n) + 1)
      if tonumber(seen) > int(tk.f.ls) then set(tk, 'ls', seen) end
      set(tk, 'm', nf.m)
      set(tk, 'o', nf.o)
      local what = {}
      if tk.f.a ~= nf.a then
        local old, new = split(tk.f.a), split(nf.a)
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
          -- Same shape digest: only numbers in the text moved (an age, a
          -- count). The card shows them; the history does not need a line.
          if (old[5] or '') == '' or old[5] ~= new[5] then what[#what + 1] = 'details changed' end
          set(tk, 'c', nf.c)
          -- The content digest covers the money at risk (ar) as well.
          set(tk, 'ar', nf.ar)
        end
        setLook(tk, nf.a)
      end
      local change = 'updated'
      if #what > 0 then
        commit(tk, 'updated', 'orderbot', 'recur', tk.f.s, table.concat(what, '; '), false)
      elseif tk.d.c or tk.d.ar then
        commit(tk, 'updated', 'orderbot', '', tk.f.s, '', false)
      else
        -- Only the order link or source moved: nothing a card shows.
        flush(tk)
        change = 'recurred'
      end
      out[nout + 1], out[nout + 2], out[nout + 3], out[nout + 4] = change, id, flat(tk), ''
      nout = nout + 4
    elseif tk and tk.f.ra and reopenable(tonumber(tk.f.ra), class.within) then
      -- Resolved recently and back again: the same ticket, reopened, with the
      -- SLA targets this upsert brings.
      flushPending()
      local nf = parse(id, newTicket).f
      reopen(tk, int(nf.ad), int(nf.rd))
      set(tk, 'n', int(tk.f.n) + 1)
      if tonumber(seen) > int(tk.f.ls) then set(tk, 'ls', seen) end
      set(tk, 'm', nf.m)
      set(tk, 'o', nf.o)
      setLook(tk, nf.a)
      set(tk, 'c', nf.c)
      set(tk, 'ar', nf.ar)
      commit(tk, 'reopened', 'orderbot', 'reopen', 'resolved', 'the condition recurred', true)
      seenIn[fp] = id
      out[nout + 1], out[nout + 2], out[nout + 3], out[nout + 4] = 'reopened', id, flat(tk), ''
      nout = nout + 4
    else
      -- New problem (or resolved long enough ago to count as a new one).
      local nid = newID(fp)
      keys[nkeys + 1], keys[nkeys + 2] = P_TK .. nid, newTicket
      nkeys = nkeys + 2
      local as, rs = class.ack, class.res
      if as ~= '' then
        ack[nack + 1], ack[nack + 2] = as, nid
        nack = nack + 2
      end
      if rs ~= '' then
        res[nres + 1], res[nres + 2] = rs, nid
        nres = nres + 2
      end
      fpi[nfp + 1], fpi[nfp + 2] = fp, nid
      nfp = nfp + 2
      nopen = nopen + 1
      open[nopen] = nid
      addTo(kinds, class.kind, nid)
      if class.dept ~= '' then addTo(depts, class.dept, nid) end
      redis.call('XADD', K_OUT, '*', 't', nid, 'c', 'opened', 'v', '1')
      rollOpen(class, ARGV[b + 5])
      seenIn[fp] = nid
      out[nout + 1], out[nout + 2] = 'opened', nid
      nout = nout + 2
    end
  end
end

-- Phase 3: the shared keys, once each.
flushPending()
rollFlush()
flushPendingHash()
trimStream(K_OUT, OUTMAX)
return out
