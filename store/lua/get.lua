-- get.lua: read tickets atomically with their content and resolution.
-- ARGV after the common ones: ticket ids. Returns per id {ticket hash,
-- content, resolution}; a missing ticket has an empty hash.

local out = {}
for i = ARG0 + 1, #ARGV do
  local id = ARGV[i]
  local raw = redis.call('HGETALL', P_TK .. id)
  if #raw == 0 then
    out[#out + 1] = {'', '', ''}
  else
    out[#out + 1] = {table.concat(raw, '\0'), getOr(P_TX .. id), getOr(P_RS .. id)}
  end
end
return out
