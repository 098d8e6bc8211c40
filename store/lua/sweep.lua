-- sweep.lua: wake expired snoozes and run SLA escalation chains. The whole sweep
-- is one script, so each step fires exactly once however many replicas sweep.
-- ARGV after the common ones: limit, step count, then each step's delay after
-- the breach in ms (step i fires at due + steps[i]).
-- Returns a list of events {id, kind, clock, step, ticket string}.
-- A ticket fires at most one event per chain per sweep: after an outage the
-- steps it missed follow one per sweep instead of all at once.

local limit = tonumber(ARGV[ARG0 + 1])
local nsteps = tonumber(ARGV[ARG0 + 2])
local steps = {}
for i = 1, nsteps do steps[i] = tonumber(ARGV[ARG0 + 2 + i]) end
local events = {}

local function emit(tk, kind, clock, step)
  events[#events + 1] = {tk.id, kind, clock, num(step), flat(tk)}
end

-- 1. Snoozes that ended.
local ids = redis.call('ZRANGEBYSCORE', K_WAKE, '-inf', num(NOW), 'LIMIT', 0, limit)
for _, id in ipairs(ids) do
  if #events >= limit then break end
  local tk = load(id)
  if tk == nil or tk.f.s ~= 'snoozed' then
    redis.call('ZREM', K_WAKE, id)
  elseif check(tk, 'wake', {}) == 'ok' then
    local change, slaChanged = mutate(tk, 'wake', {})
    commit(tk, change, 'orderbot', 'wake', 'snoozed', 'snooze ended', slaChanged)
    emit(tk, 'wake', '', 0)
  else
    -- The score and the ticket disagree (cannot happen through these scripts);
    -- follow the ticket.
    redis.call('ZADD', K_WAKE, tk.f.su, id)
  end
end

-- nextEvent says what a chain does next and when: a warning before the due time
-- (only before it), then the escalation steps. nil when the chain is done.
local function nextEvent(tk, dueF, stepF, warnF, clock)
  local due = tonumber(tk.f[dueF])
  local k = int(tk.f[stepF])
  if WARN > 0 and k == 0 and tk.f[warnF] == nil and NOW < due then
    return 'warning', due - WARN, 0
  end
  if k < nsteps then return clock .. '_breach', due + steps[k + 1], k end
  return nil
end

-- 2. Escalation chains.
local function chain(key, clock, dueF, stepF, warnF, eligible)
  if #events >= limit then return end
  local cands = redis.call('ZRANGEBYSCORE', key, '-inf', num(NOW), 'LIMIT', 0, limit - #events)
  for _, id in ipairs(cands) do
    if #events >= limit then break end
    local tk = load(id)
    if tk == nil or not eligible[tk.f.s] or tk.f[dueF] == nil then
      redis.call('ZREM', key, id)
    else
      local kind, at, step = nextEvent(tk, dueF, stepF, warnF, clock)
      if kind == nil then
        redis.call('ZREM', key, id)
      elseif at > NOW then
        redis.call('ZADD', key, num(at), id)
      else
        local detail
        if kind == 'warning' then
          set(tk, warnF, '1')
          detail = clock .. ' target is near'
        else
          set(tk, stepF, step + 1)
          set(tk, 'e', int(tk.f.e) + 1)
          detail = clock .. ' target missed: escalation step ' .. num(step + 1)
        end
        local action = 'escalate'
        if kind == 'warning' then action = 'warn' end
        commit(tk, kind, 'orderbot', action, tk.f.s, detail, false, {'clock', clock, 'step', num(step)})
        emit(tk, kind, clock, step)
        local nk, nat = nextEvent(tk, dueF, stepF, warnF, clock)
        if nk == nil then
          redis.call('ZREM', key, id)
        else
          redis.call('ZADD', key, num(nat), id)
        end
      end
    end
  end
end

chain(K_ACK, 'ack', 'ad', 'ka', 'wa', {open = true})
chain(K_RES, 'resolve', 'rd', 'kr', 'wr', {open = true, claimed = true})

trimStream(K_OUT, OUTMAX)
return events
