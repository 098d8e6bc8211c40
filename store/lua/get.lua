-- get.lua: read tickets atomically with their resolution.
-- ARGV after the common ones: ticket ids. Returns per id {ticket string,
-- resolution}; a missing ticket has an empty string.

local out = {}
for i = ARG0 + 1, #ARGV do
  local id = ARGV[i]
  local r = redis.call('MGET', P_TK .. id, P_RS .. id)
  out[#out + 1] = {r[1] or '', r[2] or ''}
end
return out
