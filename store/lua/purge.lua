-- purge.lua: delete tickets resolved before a cutoff, with every index entry,
-- so resolved history does not grow Redis forever.
-- ARGV after the common ones: cutoff_ms limit. Returns the number purged.

local cutoff, limit = ARGV[ARG0 + 1], tonumber(ARGV[ARG0 + 2])
local ids = redis.call('ZRANGEBYSCORE', K_DONE, '-inf', '(' .. cutoff, 'LIMIT', 0, limit)
for _, id in ipairs(ids) do
  local tk = load(id)
  if tk ~= nil then
    reindex(P_ST, tk.f.s, nil, id)
    local ident = split(tk.f.m)
    reindex(P_DP, split(tk.f.a)[1], nil, id)
    reindex(P_KD, ident[1], nil, id)
    reindex(P_OW, tk.f.ow, nil, id)
    local fp = (ident[1] or '') .. ':' .. (ident[2] or '')
    if redis.call('HGET', K_FP, fp) == id then redis.call('HDEL', K_FP, fp) end
    redis.call('ZREM', K_ACK, id)
    redis.call('ZREM', K_RES, id)
    redis.call('ZREM', K_WAKE, id)
  end
  redis.call('DEL', P_TK .. id, P_RS .. id, P_AU .. id)
  redis.call('ZREM', K_DONE, id)
end
return #ids
