-- transition.lua: one staff or system action on one ticket, as an atomic
-- compare-and-set against its current state.
-- ARGV after the common ones: id action actor owner until_ms resolution_json
-- detail if_version ack_due_ms resolve_due_ms (the last two only for reopen;
-- -1 = reuse the ticket's original target durations).
-- Returns {status, change-or-reason, ticket string, resolution} where status is
-- ok, conflict, invalid or notfound.

local id, action, actor, owner = ARGV[ARG0 + 1], ARGV[ARG0 + 2], ARGV[ARG0 + 3], ARGV[ARG0 + 4]
local a = {
  actor = actor, owner = owner, untilMs = tonumber(ARGV[ARG0 + 5]), res = ARGV[ARG0 + 6],
  ad = tonumber(ARGV[ARG0 + 9]), rd = tonumber(ARGV[ARG0 + 10]),
}
local detail = ARGV[ARG0 + 7]
local ifVersion = tonumber(ARGV[ARG0 + 8])

local tk = load(id)
if tk == nil then return {'notfound'} end

local verdict = check(tk, action, a)
if verdict == 'noop' then
  return {'ok', '', flat(tk), getOr(P_RS .. id)}
end
if string.sub(verdict, 1, 8) == 'invalid:' then
  return {'invalid', string.sub(verdict, 9), flat(tk), getOr(P_RS .. id)}
end
if verdict ~= 'ok' then
  return {'conflict', verdict, flat(tk), getOr(P_RS .. id)}
end
if ifVersion > 0 and int(tk.f.v) ~= ifVersion then
  return {'conflict', 'version', flat(tk), getOr(P_RS .. id)}
end

local from = tk.f.s
local change, slaChanged = mutate(tk, action, a)
commit(tk, change, actor, action, from, detail, slaChanged)
trimStream(K_OUT, OUTMAX)
return {'ok', change, flat(tk), getOr(P_RS .. id)}
