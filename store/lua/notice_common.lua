-- notice_common.lua: shared by the notice scripts (after trim.lua). emit writes
-- the thread line of a notice to the ticket's outbox stream.
local function hget(k, f) local v = redis.call('HGET', k, f); if v == false then return '' end; return v end
local function emit(stream, bound, key, actor)
  local st = redis.call('HMGET', key, 'ticket', 'id', 'state', 'channel', 'tom', 'detail', 'kind', 'event', 'pid', 'pstat', 'bulk')
  -- One of many notices of a ticket: only an unknown outcome, which needs a
  -- person, gets a line of its own; the notifier summarises the rest.
  if st[11] == '1' and st[3] ~= 'unknown' then return end
  local fields = {'t', st[1], 'c', 'notice', 'notice', st[2], 'state', st[3], 'channel', st[4] or '', 'to', st[5] or '',
    'detail', st[6] or '', 'kind', st[7] or '', 'event', st[8] or '', 'pid', st[9] or '', 'pstat', st[10] or '', 'actor', actor}
  redis.call('XADD', stream, '*', unpack(fields))
  trimStream(stream, bound)
end
