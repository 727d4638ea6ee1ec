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

// moveLua defines move(ticket, from, to, assignment, retention ms, key
// prefix, ticket id): the part of a state change shared by Transition and
// Settle, once the caller has checked the ticket is in state from. It keeps
// the mode's queue and claimed index in step, stores the assignment,
// releases the players (read from the stored record) on a terminal state,
// and sets the state and retention.
const moveLua = `
local function move(ticket, from, to, assignment, retention, prefix, id)
  local mode = redis.call('HGET', ticket, 'mode')
  local q = prefix .. 'q:' .. mode
  if from == 'queued' then redis.call('HDEL', q, id) end
  if from == 'matched' then redis.call('ZREM', prefix .. 'mt:' .. mode, id) end
  if to == 'queued' then redis.call('HSET', q, id, redis.call('HGET', ticket, 'rec')) end
  if to == 'assigned' then redis.call('HSET', ticket, 'assign', assignment) end
  if to == 'assigned' or to == 'cancelled' or to == 'expired' or to == 'failed' or to == 'ended' then
    local players = cjson.decode(redis.call('HGET', ticket, 'rec'))['players']
    if type(players) == 'table' then
      for _, p in ipairs(players) do
        local k = prefix .. 'pl:' .. p
        if redis.call('GET', k) == id then redis.call('DEL', k) end
      end
    end
  end
  redis.call('HSET', ticket, 'state', to)
  redis.call('PEXPIRE', ticket, retention)
end
`

// transitionScript: KEYS = ticket; ARGV = from, to, assignment, retention
// ms, key prefix, ticket id. Returns -1 for an unknown ticket, -2 when it is
// not in state from, 0 when moved.
var transitionScript = redis.NewScript(moveLua + `
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return -1 end
if st ~= ARGV[1] then return -2 end
move(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
return 0
`)

// settleScript: KEYS = ticket; ARGV = match id, to, assignment, reason,
// retention ms, key prefix, ticket id. Returns -1 for an unknown ticket, -2
// when it is not matched under the match id, 0 when settled.
var settleScript = redis.NewScript(moveLua + `
local h = redis.call('HMGET', KEYS[1], 'state', 'match')
if not h[1] then return -1 end
if h[1] ~= 'matched' or h[2] ~= ARGV[1] then return -2 end
redis.call('HSET', KEYS[1], 'reason', ARGV[4])
move(KEYS[1], 'matched', ARGV[2], ARGV[3], ARGV[5], ARGV[6], ARGV[7])
return 0
`)

// endScript: KEYS = ticket; ARGV = match id, outcome, reason, retention
// ms, key prefix, ticket id. Returns -1 for an unknown ticket, -2 when it
// is not assigned under the match id, 0 when ended.
var endScript = redis.NewScript(moveLua + `
local h = redis.call('HMGET', KEYS[1], 'state', 'match')
if not h[1] then return -1 end
if h[1] ~= 'assigned' or h[2] ~= ARGV[1] then return -2 end
redis.call('HSET', KEYS[1], 'outcome', ARGV[2], 'reason', ARGV[3])
move(KEYS[1], 'assigned', 'ended', '', ARGV[4], ARGV[5], ARGV[6])
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

// putServerScript: KEYS = servers, placed counts, rounds; ARGV = server
// id, record JSON, heartbeat round ("0" for unknown). A round other than
// the stored one (or unknown) resets the server's placed count.
var putServerScript = redis.NewScript(`
if ARGV[3] == '0' or redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[3] then
  redis.call('HDEL', KEYS[2], ARGV[1])
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 0
`)
