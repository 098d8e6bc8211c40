-- enqueue.lua: append one entry to an outbox stream and keep the stream bounded
-- without dropping unacknowledged entries (see trim.lua).
-- KEYS[1] stream. ARGV: bound, then field value pairs. Returns the entry id.

local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
trimStream(KEYS[1], tonumber(ARGV[1]))
return id
