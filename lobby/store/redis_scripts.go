package store

import "github.com/redis/go-redis/v9"

// The Lua scripts behind the Redis store's atomic operations. Each runs
// atomically on the Redis server, so concurrent replicas can never both
// claim one ticket. Keys built inside a script from the prefix (queue and
// player keys in transition) assume a single Redis, not Redis Cluster.

// enqueueScript: KEYS = queue, ticket, player keys...; ARGV = max queue
// length, ticket id, record JSON, retention ms, mode.
var enqueueScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return -3 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[1]) then return -1 end
for i = 3, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then return -2 end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], 'mode', ARGV[5], 'state', 'queued', 'match', '', 'rec', ARGV[3], 'assign', '')
redis.call('PEXPIRE', KEYS[2], ARGV[4])
for i = 3, #KEYS do
  redis.call('SET', KEYS[i], ARGV[2], 'PX', ARGV[4])
end
return 0
`)

// claimScript: KEYS = queue, claimed index, ticket keys...; ARGV = match
// id, retention ms, claimed-at ms, ticket ids... (ARGV[i] is the id of
// KEYS[i-1]).
var claimScript = redis.NewScript(`
for i = 4, #ARGV do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then return 0 end
  if redis.call('HGET', KEYS[i-1], 'state') ~= 'queued' then return 0 end
end
for i = 4, #ARGV do
  redis.call('HDEL', KEYS[1], ARGV[i])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[i])
  redis.call('HSET', KEYS[i-1], 'state', 'matched', 'match', ARGV[1], 'claimed', ARGV[3])
  redis.call('PEXPIRE', KEYS[i-1], ARGV[2])
end
return 1
`)

// transitionScript: KEYS = ticket; ARGV = from, to, assignment, retention
// ms, key prefix, ticket id. Returns -1 for an unknown ticket, -2 when it is
// not in state from, 0 when moved. The players to release are read from the
// stored record.
var transitionScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'state')
if not st then
  return -1
end
if st ~= ARGV[1] then return -2 end
local mode = redis.call('HGET', KEYS[1], 'mode')
local q = ARGV[5] .. 'q:' .. mode
if ARGV[1] == 'queued' then redis.call('HDEL', q, ARGV[6]) end
if ARGV[1] == 'matched' then redis.call('ZREM', ARGV[5] .. 'mt:' .. mode, ARGV[6]) end
if ARGV[2] == 'queued' then redis.call('HSET', q, ARGV[6], redis.call('HGET', KEYS[1], 'rec')) end
if ARGV[2] == 'assigned' then redis.call('HSET', KEYS[1], 'assign', ARGV[3]) end
local to = ARGV[2]
if to == 'assigned' or to == 'cancelled' or to == 'expired' or to == 'failed' then
  local players = cjson.decode(redis.call('HGET', KEYS[1], 'rec'))['players']
  if type(players) == 'table' then
    for _, p in ipairs(players) do
      local k = ARGV[5] .. 'pl:' .. p
      if redis.call('GET', k) == ARGV[6] then redis.call('DEL', k) end
    end
  end
end
redis.call('HSET', KEYS[1], 'state', to)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 0
`)

// settleScript: KEYS = ticket; ARGV = match id, to, assignment, reason,
// retention ms, key prefix, ticket id. Returns -1 for an unknown ticket, -2
// when it is not matched under the match id, 0 when settled. The players to
// release are read from the stored record.
var settleScript = redis.NewScript(`
local h = redis.call('HMGET', KEYS[1], 'state', 'match', 'mode', 'rec')
if not h[1] then return -1 end
if h[1] ~= 'matched' or h[2] ~= ARGV[1] then return -2 end
redis.call('ZREM', ARGV[6] .. 'mt:' .. h[3], ARGV[7])
local to = ARGV[2]
if to == 'queued' then redis.call('HSET', ARGV[6] .. 'q:' .. h[3], ARGV[7], h[4]) end
if to == 'assigned' then redis.call('HSET', KEYS[1], 'assign', ARGV[3]) end
if to == 'assigned' or to == 'cancelled' or to == 'expired' or to == 'failed' then
  local players = cjson.decode(h[4])['players']
  if type(players) == 'table' then
    for _, p in ipairs(players) do
      local k = ARGV[6] .. 'pl:' .. p
      if redis.call('GET', k) == ARGV[7] then redis.call('DEL', k) end
    end
  end
end
redis.call('HSET', KEYS[1], 'state', to, 'reason', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 0
`)

// stuckCleanScript: KEYS = claimed index, ticket keys...; ARGV = ticket
// ids (ARGV[i] is the id of KEYS[i+1]). It drops index entries whose ticket
// record is gone (past retention), so they are not read again.
var stuckCleanScript = redis.NewScript(`
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[i+1]) == 0 then redis.call('ZREM', KEYS[1], ARGV[i]) end
end
return 0
`)

// revokePlayerScript: KEYS = cutoff; ARGV = cutoff µs, ttl ms. A later
// cutoff replaces the stored one; an earlier one changes nothing.
var revokePlayerScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// limitScript is GCRA: KEYS = bucket; ARGV = now µs, emission interval µs,
// burst. Returns {1, 0} when allowed, {0, retry-after µs} when not.
var limitScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local newtat = tat + interval
local allowat = newtat - burst * interval
if now < allowat then
  return {0, tostring(math.ceil(allowat - now))}
end
redis.call('SET', KEYS[1], tostring(newtat), 'PX', math.ceil((newtat - now) / 1000) + 1)
return {1, '0'}
`)

// leaseScript: KEYS = lease; ARGV = owner, ttl ms.
var leaseScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)
