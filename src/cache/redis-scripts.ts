import type { Result } from 'ioredis';
import type { RedisClient } from './redis-client.js';

/**
 * The Lua scripts of the Redis store (redis-store.ts), each one atomic step of a write: what makes
 * a write all or nothing, a fill lose to a write or an invalidation, and a late write a no-op.
 */

declare module 'ioredis' {
  interface RedisCommander<Context> {
    mdcSetBefore(numberOfKeys: number, ...keysThenArgs: Array<string | number>): Result<number, Context>;
    mdcFill(key: string, leaseKey: string, channel: string, origin: string, token: string, value: string, ttlMs: number): Result<number, Context>;
    mdcUpsertSeries(numberOfKeys: number, ...keysThenArgs: Array<string | number>): Result<number, Context>;
    mdcDeleteBefore(numberOfKeys: number, ...keysThenDeadline: Array<string | number>): Result<number[] | null, Context>;
    mdcDiscard(key: string, ...raw: string[]): Result<number, Context>;
    mdcSetManyBefore(numberOfKeys: number, ...keysThenArgs: Array<string | number>): Result<number | Array<string | number>, Context>;
    mdcUndoSetMany(numberOfKeys: number, ...keysThenArgs: Array<string | number>): Result<number, Context>;
    mdcAppendLog(numberOfKeys: number, ...keysThenArgs: Array<string | number>): Result<number, Context>;
    mdcIndex(numberOfKeys: number, ...keysThenMembers: string[]): Result<number, Context>;
    mdcObserve(key: string): Result<[number, number], Context>;
    mdcIndexObserved(indexKey: string, seenKey: string, ...observations: Array<string | number>): Result<number, Context>;
  }
}

// Every write carries a deadline in Redis's own clock and does nothing once it has passed. A
// command sent to a frozen Redis waits in its socket and runs when the server resumes, long after
// the gateway told the client the write failed; the deadline turns that late run into a no-op, so
// a write reported as failed never lands. (`NOW_MS` is defined in each script below.)
const NOW_MS = `local t = redis.call('TIME') local nowMs = t[1] * 1000 + math.floor(t[2] / 1000)`;

// Every change is announced, in the same atomic step, on the changes channel: '<origin> <key>'.
// The other gateway processes drop what they keep of the key (their stale tiers, memos), and
// waiters for a fill of it read it again (see redis-store.ts). A script that announces takes the
// channel and the writer's origin as its first two arguments, taken off ARGV here, so that the
// rest of its arguments keep their places.
const ANNOUNCE = `local channel = table.remove(ARGV, 1)
local origin = table.remove(ARGV, 1)
local function announce(key) redis.call('PUBLISH', channel, origin .. ' ' .. key) end`;

const SET_BEFORE = `${NOW_MS}
${ANNOUNCE}
if nowMs > tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if KEYS[2] then redis.call('DEL', KEYS[2]) end
announce(KEYS[1])
return 1
`;

// A fill stores its value only while its lease is still the one it took: a write or an
// invalidation since then dropped the lease, and wins. The lease's own expiry is the fill's
// deadline, so a fill that reaches a frozen Redis late does nothing either.
const FILL = `
${ANNOUNCE}
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
announce(KEYS[1])
return 1
`;

// The start of a series or log write: -1, and nothing written, past the deadline (ARGV[3]).
// KEYS[3], when given, is the fill lease: ARGV[4] 'drop' deletes it (a write), a token (a fill)
// writes only while the lease holds it (else -2, and nothing written), and releases it.
const DEADLINE_AND_LEASE = `if nowMs > tonumber(ARGV[3]) then return -1 end
if KEYS[3] and ARGV[4] ~= 'drop' then
  if redis.call('GET', KEYS[3]) ~= ARGV[4] then return -2 end
end
if KEYS[3] then redis.call('DEL', KEYS[3]) end`;

// One script so that a bar write is atomic: concurrent writers to one series interleave whole
// calls, never bars, and a failed call leaves the series and its latest-bar pointer as they were.
// Removing the score's old member before ZADD is what makes the write an upsert by open time.
// KEYS[3], when given, is the series' fill lease: ARGV[4] 'drop' deletes it (a write), a token
// (a fill) writes only while the lease holds it, and releases it.
const UPSERT_SERIES = `${NOW_MS}
${ANNOUNCE}
${DEADLINE_AND_LEASE}
local ttlMs, maxMembers = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 5, #ARGV, 2 do
  redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[i], ARGV[i])
  redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
end
local size = redis.call('ZCARD', KEYS[1])
if size > maxMembers then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, size - maxMembers - 1)
end
redis.call('PEXPIRE', KEYS[1], ttlMs)
redis.call('SET', KEYS[2], redis.call('ZRANGE', KEYS[1], -1, -1)[1], 'PX', ttlMs)
announce(KEYS[1])
announce(KEYS[2])
local kept = 0
for i = 5, #ARGV, 2 do
  kept = kept + redis.call('ZCOUNT', KEYS[1], ARGV[i], ARGV[i])
end
return kept
`;

// putTickers: every value or none. ARGV after the deadline: whether to keep what each key held
// (ARGV[3] '1'), then value, TTL and the KEYS position of its lease (0 for none), for each KEYS
// entry up to ARGV[2]. Kept, the reply is 1 followed by each key's old value ('' if none, or if it
// held something other than a plain value) and PTTL: on a Redis Cluster a putTickers spanning
// slots is one script per slot, and the gateway puts those values back (UNDO_SET_MANY) if the
// script of another slot fails.
const SET_MANY_BEFORE = `${NOW_MS}
${ANNOUNCE}
if nowMs > tonumber(ARGV[1]) then return 0 end
local keep = ARGV[3] == '1'
local old = {1}
for i = 1, tonumber(ARGV[2]) do
  local at = 4 + (i - 1) * 3
  if keep then
    if redis.call('TYPE', KEYS[i])['ok'] == 'string' then
      old[#old + 1] = redis.call('GET', KEYS[i])
      old[#old + 1] = redis.call('PTTL', KEYS[i])
    else
      old[#old + 1] = ''
      old[#old + 1] = -2
    end
  end
  redis.call('SET', KEYS[i], ARGV[at], 'PX', ARGV[at + 1])
  local lease = tonumber(ARGV[at + 2])
  if lease > 0 then redis.call('DEL', KEYS[lease]) end
  announce(KEYS[i])
end
if keep then return old end
return 1
`;

// Puts back what SET_MANY_BEFORE replaced, key by key, unless the key was written again since
// (it no longer holds what that script wrote). ARGV: for each key, the value written, the old
// value and the old PTTL (-2: there was none; -1: it had no expiry).
const UNDO_SET_MANY = `
${ANNOUNCE}
local undone = 0
for i, key in ipairs(KEYS) do
  local at = (i - 1) * 3 + 1
  if redis.call('TYPE', key)['ok'] == 'string' and redis.call('GET', key) == ARGV[at] then
    local old, ttl = ARGV[at + 1], tonumber(ARGV[at + 2])
    if ttl == -1 then redis.call('SET', key, old)
    elseif ttl > 0 then redis.call('SET', key, old, 'PX', ttl)
    else redis.call('DEL', key) end
    announce(key)
    undone = undone + 1
  end
end
return undone
`;

// Trades: appended whole or not at all, so that concurrent appenders lose nothing. A member with an
// id (ARGV[i + 2] not empty) is new when the ids hash (KEYS[2]) does not hold its id (field
// 'i:<id>'); without one, when the log does not hold the member itself. The hash also maps each
// member to its id ('m:<member>'), so that trimming forgets the ids of what it drops without
// reading members, which stay opaque. The stamp sits alone at +inf, outside the count.
// KEYS[3] is the log's fill lease, as for UPSERT_SERIES.
const APPEND_LOG = `${NOW_MS}
${ANNOUNCE}
${DEADLINE_AND_LEASE}
local added = {}
for i = 6, #ARGV, 3 do
  local member, id = ARGV[i + 1], ARGV[i + 2]
  local new
  if id ~= '' then
    new = redis.call('HSETNX', KEYS[2], 'i:' .. id, '1') == 1
    if new then redis.call('HSET', KEYS[2], 'm:' .. member, id) end
  else
    new = not redis.call('ZSCORE', KEYS[1], member)
  end
  if new then
    redis.call('ZADD', KEYS[1], ARGV[i], member)
    added[#added + 1] = member
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '+inf', '+inf')
local size, maxMembers = redis.call('ZCARD', KEYS[1]), tonumber(ARGV[2])
if size > maxMembers then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, size - maxMembers - 1)) do
    local id = redis.call('HGET', KEYS[2], 'm:' .. member)
    if id then redis.call('HDEL', KEYS[2], 'i:' .. id, 'm:' .. member) end
  end
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, size - maxMembers - 1)
end
redis.call('ZADD', KEYS[1], '+inf', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
announce(KEYS[1])
local kept = 0
for _, member in ipairs(added) do
  if redis.call('ZSCORE', KEYS[1], member) then kept = kept + 1 end
end
return kept
`;

// The symbols index: each member (ARGV[i]) scores the expiry of its entry (KEYS[i + 1]) as it is
// now, after the write or delete it follows, or leaves the index when the entry is gone; members
// whose entries expired are pruned, and the index expires with its last entry.
const INDEX = `${NOW_MS}
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= 'zset' and kind ~= 'none' then redis.call('DEL', KEYS[1]) end
for i, member in ipairs(ARGV) do
  local ttl = redis.call('PTTL', KEYS[i + 1])
  if ttl == -2 then redis.call('ZREM', KEYS[1], member)
  elseif ttl == -1 then redis.call('ZADD', KEYS[1], '+inf', member)
  else redis.call('ZADD', KEYS[1], nowMs + ttl, member) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. nowMs)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]
if last == nil then return 0 end
if last == 'inf' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIREAT', KEYS[1], math.ceil(tonumber(last))) end
return 1
`;

// On a Redis Cluster an index and its entries live in different slots, so no one script can read
// an entry's PTTL and update its index (INDEX above). There, the write's own pipeline observes the
// entry right after writing it (OBSERVE: the time, on the entry's master, in microseconds, and its
// PTTL), and INDEX_OBSERVED then applies each observation unless the index has already applied a
// later one of that member (KEYS[2], a hash of member -> the time of the observation applied last):
// all changes of one entry happen on one master, so the latest observation is the truth, whatever
// order concurrent writers' index updates arrive in.
const OBSERVE = `local t = redis.call('TIME')
return {t[1] * 1000000 + t[2], redis.call('PTTL', KEYS[1])}
`;

// ARGV: member, observed at (microseconds), PTTL; for each observation.
const INDEX_OBSERVED = `${NOW_MS}
for i = 1, 2 do
  local kind = redis.call('TYPE', KEYS[i])['ok']
  local expected = i == 1 and 'zset' or 'hash'
  if kind ~= expected and kind ~= 'none' then redis.call('DEL', KEYS[i]) end
end
for i = 1, #ARGV, 3 do
  local member, at, ttl = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  if at > tonumber(redis.call('HGET', KEYS[2], member) or '-1') then
    redis.call('HSET', KEYS[2], member, ARGV[i + 1])
    if ttl == -2 then redis.call('ZREM', KEYS[1], member)
    elseif ttl == -1 then redis.call('ZADD', KEYS[1], '+inf', member)
    else redis.call('ZADD', KEYS[1], math.floor(at / 1000) + ttl, member) end
  end
end
-- What the hash remembers of a member outlives its expiry by a minute: an update still on its way
-- (held up in a stalled process) must not bring back an older truth.
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], '-inf', '(' .. nowMs, 'BYSCORE')) do
  if tonumber(redis.call('HGET', KEYS[2], member) or '0') < (nowMs - 60000) * 1000 then redis.call('HDEL', KEYS[2], member) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. nowMs)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]
if last == 'inf' then
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
  return 1
end
local seenUntil = nowMs + 60000
if last ~= nil then
  redis.call('PEXPIREAT', KEYS[1], math.ceil(tonumber(last)))
  seenUntil = math.max(seenUntil, math.ceil(tonumber(last)))
end
redis.call('PEXPIREAT', KEYS[2], seenUntil)
return last and 1 or 0
`;

const DELETE_BEFORE = `${NOW_MS}
${ANNOUNCE}
if nowMs > tonumber(ARGV[1]) then return nil end
local existed = {}
for i, key in ipairs(KEYS) do
  existed[i] = redis.call('DEL', key)
  announce(key)
end
return existed
`;

// Compare-and-delete, so that a value written between the failed decode and this call survives.
// No ARGV[1]: the key was read as a series and held something else; it goes unless it is one now.
const DISCARD = `
local kind = redis.call('TYPE', KEYS[1])['ok']
if ARGV[1] == nil then
  if kind ~= 'zset' and kind ~= 'none' then return redis.call('DEL', KEYS[1]) end
elseif kind == 'string' then
  if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
elseif kind == 'zset' then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
`;

/** Defines every script on `redis` as a command (`redis.mdcFill(...)`, in pipelines too). */
export function defineScripts(redis: RedisClient) {
  redis.defineCommand('mdcSetBefore', { lua: SET_BEFORE });
  redis.defineCommand('mdcFill', { numberOfKeys: 2, lua: FILL });
  redis.defineCommand('mdcUpsertSeries', { lua: UPSERT_SERIES });
  redis.defineCommand('mdcDeleteBefore', { lua: DELETE_BEFORE });
  redis.defineCommand('mdcDiscard', { numberOfKeys: 1, lua: DISCARD });
  redis.defineCommand('mdcSetManyBefore', { lua: SET_MANY_BEFORE });
  redis.defineCommand('mdcUndoSetMany', { lua: UNDO_SET_MANY });
  redis.defineCommand('mdcAppendLog', { lua: APPEND_LOG });
  redis.defineCommand('mdcIndex', { lua: INDEX });
  redis.defineCommand('mdcObserve', { numberOfKeys: 1, lua: OBSERVE });
  redis.defineCommand('mdcIndexObserved', { numberOfKeys: 2, lua: INDEX_OBSERVED });
}
