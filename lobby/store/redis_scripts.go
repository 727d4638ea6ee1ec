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

// claimScript: KEYS = queue, ticket keys...; ARGV = match id, retention ms,
// ticket ids... (ARGV[i+2] is the id of KEYS[i+1]).
var claimScript = redis.NewScript(`
for i = 3, #ARGV do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then return 0 end
  if redis.call('HGET', KEYS[i-1], 'state') ~= 'queued' then return 0 end
end
for i = 3, #ARGV do
  redis.call('HDEL', KEYS[1], ARGV[i])
  redis.call('HSET', KEYS[i-1], 'state', 'matched', 'match', ARGV[1])
  redis.call('PEXPIRE', KEYS[i-1], ARGV[2])
end
return 1
`)

// transitionScript: KEYS = ticket; ARGV = from, to, assignment, retention
// ms, key prefix, ticket id, players JSON array.
var transitionScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'state')
if not st then
  return -1
end
if st ~= ARGV[1] then return -2 end
local q = ARGV[5] .. 'q:' .. redis.call('HGET', KEYS[1], 'mode')
if ARGV[1] == 'queued' then redis.call('HDEL', q, ARGV[6]) end
if ARGV[2] == 'queued' then redis.call('HSET', q, ARGV[6], redis.call('HGET', KEYS[1], 'rec')) end
if ARGV[2] == 'assigned' then redis.call('HSET', KEYS[1], 'assign', ARGV[3]) end
local to = ARGV[2]
if to == 'assigned' or to == 'cancelled' or to == 'expired' or to == 'failed' then
  for _, p in ipairs(cjson.decode(ARGV[7])) do
    local k = ARGV[5] .. 'pl:' .. p
    if redis.call('GET', k) == ARGV[6] then redis.call('DEL', k) end
  end
end
redis.call('HSET', KEYS[1], 'state', to)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 0
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
