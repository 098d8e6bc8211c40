-- msgref.lua: remember the Slack channel and ts of a ticket's card in the ticket
-- hash itself (two short fields cost far less than a key of their own, and they
-- go when the ticket goes). ARGV after the common ones: id channel ts.
-- Returns 0 when the ticket does not exist.

local id = ARGV[ARG0 + 1]
if redis.call('EXISTS', P_TK .. id) == 0 then return 0 end
redis.call('HSET', P_TK .. id, 'mc', ARGV[ARG0 + 2], 'mt', ARGV[ARG0 + 3])
return 1
