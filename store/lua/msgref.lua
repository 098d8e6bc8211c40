-- msgref.lua: remember the Slack channel and ts of a ticket's card in the ticket
-- itself (two short fields cost far less than a key of their own, and they go
-- when the ticket goes). ARGV after the common ones: id channel ts.
-- Returns 0 when the ticket does not exist.

local tk = load(ARGV[ARG0 + 1])
if tk == nil then return 0 end
set(tk, 'mc', ARGV[ARG0 + 2])
set(tk, 'mt', ARGV[ARG0 + 3])
flush(tk)
return 1
