-- flapping.lua: mark an active ticket as flapping (its condition keeps
-- clearing and coming back; see clearing.lua). The mark is the field fl (when
-- it was set); reopen clears it with the resolution. It bumps the version,
-- records the history entry and writes an "updated" outbox entry so the card
-- shows the mark.
-- ARGV after the common head: id, history detail.
-- Returns the ticket string, or '' when the ticket is gone, resolved or
-- already marked.
local id, detail = ARGV[ARG0 + 1], ARGV[ARG0 + 2]
local tk = load(id)
if not tk or tk.f.s == 'resolved' or tk.f.fl then return '' end
set(tk, 'fl', NOW)
commit(tk, 'updated', 'orderbot', 'flapping', tk.f.s, detail, false)
return flat(tk)
