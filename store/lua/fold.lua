-- fold.lua: add up stream entries of opened tickets (rollup.lua, an:ev) into
-- the hour hashes and day lists, once. Store.FoldRollups reads the entries
-- after the cursor, adds them up in Go and calls this script with the sums;
-- the script applies them only if the cursor has not moved meanwhile (another
-- replica folded the same entries), so every entry is counted exactly once.
-- KEYS: 1 cursor (last folded entry id)  2 the stream
-- ARGV: 1 rollup key prefix  2 expected cursor  3 new cursor, then per sum 4:
--   h|z, key suffix (h:<hour> or z:<dim>:<day>), field or member, amount.
-- Returns 1 when applied, 0 when the cursor had moved.
local cur = redis.call('GET', KEYS[1]) or '0'
if cur ~= ARGV[2] then return 0 end
local pre = ARGV[1]
for i = 4, #ARGV, 4 do
  if ARGV[i] == 'h' then
    redis.call('HINCRBY', pre .. ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
  else
    redis.call('ZINCRBY', pre .. ARGV[i + 1], ARGV[i + 3], ARGV[i + 2])
  end
end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('XTRIM', KEYS[2], 'MINID', ARGV[3])
return 1
