import { randomUUID } from 'node:crypto';
import { Cluster, Redis, ReplyError, type ChainableCommander } from 'ioredis';
import { CacheUnavailableError } from './cache-unavailable.js';
import { subscribeOnCluster, type ClusterSubscription } from './cluster-subscription.js';
import type { RedisClient } from './redis-client.js';
import { createRouter, type Reply, type Routed } from './redis-routing.js';
import { defineScripts } from './redis-scripts.js';
import type { CacheStore, Change, IndexRef, SeriesRange } from './store.js';
import { DEFAULTS } from '../defaults.js';

const SCAN_BATCH = 500;
/** How late a time-limit check may run before the process counts as having been stalled, not listening. */
const STALL_MS = 10;
/** How long after its deadline a write's reply may still arrive: the reply's trip back. */
const WRITE_REPLY_GRACE_MS = 100;
/** Readings of Redis's clock a connection makes at most, and a round trip quick enough to stop at (see `readClock`). */
const CLOCK_READINGS = 5;
const CLOCK_QUICK_MS = 10;

export interface RedisStoreOptions {
  /**
   * A caller-owned client (a standalone or Sentinel connection, or a Redis Cluster): the caller
   * connects and closes it.
   */
  redis: RedisClient;
  /**
   * A second caller-owned client for bar ranges, whose replies can be megabytes: on their own
   * connection they never hold up the small replies of point reads queued behind them.
   * @default redis
   */
  bulkRedis?: RedisClient;
  /**
   * A third caller-owned client for writes, when `waitReplicas` is set: `WAIT` holds its connection
   * until the replicas confirm (up to the write's time limit), and reads must not queue behind it.
   * @default redis
   */
  writeRedis?: RedisClient;
  /**
   * A read fails with `CacheUnavailableError` when Redis sends nothing on its connection for
   * this many milliseconds.
   * @default 50
   */
  readTimeoutMs?: number;
  /**
   * Most a read may take while Redis keeps sending (a large reply, a busy connection); past it,
   * it fails as busy, which does not count as Redis being down.
   * @default 5000
   */
  readMaxMs?: number;
  /**
   * A write not applied within this many milliseconds fails, and never applies later.
   * @default 500
   */
  writeTimeoutMs?: number;
  /**
   * A caller-owned client this store may put in subscriber mode, to hear the changes every
   * process announces on `changeChannel`. Without it, `awaitFill` waits its whole bound and
   * `onChange` hears nothing.
   */
  subscriber?: RedisClient;
  /** The pub/sub channel every write, fill and delete is announced on (`<origin> <key>`). */
  changeChannel?: string;
  /**
   * A write is acknowledged only once `WAIT` confirms that this many replicas of its master have
   * it (within the write's time limit); otherwise it fails with `CacheUnavailableError`, though the
   * master applied it. 0: acknowledged once the master applied it. Writes and deletes wait;
   * leases and fills from the sources do not (losing one costs an upstream call, nothing else).
   * @default 0
   */
  waitReplicas?: number;
}

/**
 * A store on Redis. Every key the gateway passes here is already namespaced; this store adds
 * nothing and never touches other keys. A Redis that cannot answer in time (down, frozen, slow,
 * unreachable) makes calls fail with `CacheUnavailableError`; an error Redis replies with (such as
 * WRONGTYPE) is passed on as it is.
 */
export function createRedisStore({
  redis,
  bulkRedis = redis,
  writeRedis = redis,
  readTimeoutMs = DEFAULTS.redis.readTimeoutMs,
  readMaxMs = DEFAULTS.redis.readMaxMs,
  writeTimeoutMs = DEFAULTS.redis.writeTimeoutMs,
  subscriber,
  changeChannel = 'mdc:changes',
  waitReplicas = DEFAULTS.redis.waitReplicas,
}: RedisStoreOptions): CacheStore {
  for (const client of new Set([redis, writeRedis])) defineScripts(client);
  const router = createRouter(redis);
  const bulkRouter = bulkRedis === redis ? router : createRouter(bulkRedis);
  const writeRouter = writeRedis === redis ? router : createRouter(writeRedis);
  const replication = { waitReplicas, waitTimeoutMs: writeTimeoutMs };
  // Who announces a change, so that this store does not hear its own as another process's.
  const origin = randomUUID();
  const announcing = [changeChannel, origin] as const;

  // Deadlines are in Redis's clock; this is its offset from ours, measured at each connection
  // (a new one may reach another server). A reading of TIME is off by up to half its round trip,
  // and one whose request was held up (a busy machine at start-up) comes out late by that much,
  // and every deadline with it: a write the store gave up on could still land. So a connection
  // reads the clock again, one reading after the other, until one is quick (usually the first),
  // and keeps the quickest.
  let clockOffsetMs = 0;
  let connection = 0;
  const readClock = async (mine: number) => {
    let quickestMs = Infinity;
    for (let reading = 0; reading < CLOCK_READINGS && quickestMs > CLOCK_QUICK_MS && mine === connection; reading++) {
      const sentAt = performance.now();
      const before = Date.now();
      const [seconds, micros] = await redis.time();
      const roundTripMs = performance.now() - sentAt;
      if (mine !== connection || roundTripMs >= quickestMs) continue;
      quickestMs = roundTripMs;
      clockOffsetMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - (before + Date.now()) / 2;
    }
  };
  redis.on('ready', () => void readClock(++connection).catch(() => {}));

  // Redis is alive while either connection hears from it: busy writing megabytes of ranges to one,
  // it may leave the other silent for longer than a read's timeout, and that is load, not an outage.
  const heard = [...new Set([redis, bulkRedis, writeRedis])].map(watchProgress);
  const progress = () => heard.reduce((chunks, count) => chunks + count(), 0);
  const read = <T>(command: () => Promise<T>) => answered(command, { silenceMs: readTimeoutMs, maxMs: readMaxMs, progress, what: 'a read' });
  const write = <T>(command: (deadlineMs: number) => Promise<T>) =>
    answered(() => command(Date.now() + clockOffsetMs + writeTimeoutMs), {
      // A write never waits past its deadline, busy or not; busy, its failure does not count.
      silenceMs: writeTimeoutMs + WRITE_REPLY_GRACE_MS,
      maxMs: writeTimeoutMs + WRITE_REPLY_GRACE_MS,
      progress,
      limitMs: writeTimeoutMs,
      what: 'a write',
    });
  // Redis answered, so it is alive: a write it ran too late failed for load, not for an outage.
  const tooLate = (what: string) => new CacheUnavailableError(`${what} reached Redis after its deadline`, { busy: true });
  const applied = <T>(result: T | null | -1 | 0, what: string): T => {
    if (result === null || result === -1 || result === 0) throw tooLate(what);
    return result;
  };

  const changes = listenForChanges(subscriber, changeChannel, origin);

  /**
   * Runs write `commands` (in one pipeline per master, each followed by `WAIT` when replicas must
   * confirm) and brings `refs` in line in the symbols index; resolves to each command's
   * `[error, reply]` (`withIndex`: to the replies, failing on the first error among them). The
   * index updates cannot fail the write: the index is bookkeeping, and what it says of an entry is
   * put right by the next write of that entry.
   *
   * On one server each index's update is a script in the write's own pipeline, reading its
   * entries' PTTL as the write left them: one round trip. On a cluster an index and its entries
   * live in different slots: the write's pipeline observes each entry, and a second round trip,
   * to the index's master, applies the observations.
   */
  const withIndexReplies = async (commands: readonly Routed[], refs: readonly IndexRef[], { replicated = true } = {}): Promise<Reply[]> => {
    const waiting = replicated ? replication : undefined;
    if (!writeRouter.cluster) return (await writeRouter.run([...commands, ...indexUpdates(refs)], waiting)).slice(0, commands.length);
    const observations = refs.map(({ entryKey }): Routed => ({ key: entryKey, add: (pipeline) => pipeline.mdcObserve(entryKey) }));
    const replies = await writeRouter.run([...commands, ...observations], waiting);
    const observed = refs.flatMap((ref, i) => {
      const reply = replies[commands.length + i]!;
      return reply[0] === null ? [{ ref, reply }] : [];
    });
    if (observed.length > 0) await writeRouter.run(observedIndexUpdates(observed)).catch(() => {});
    return replies.slice(0, commands.length);
  };
  const withIndex = async (commands: readonly Routed[], refs: readonly IndexRef[], options?: { replicated?: boolean }) =>
    resultsOf(await withIndexReplies(commands, refs, options));

  return {
    async getMany(keys) {
      // The hot path: one server needs no grouping, and one slot on a cluster none either.
      const groups = router.cluster ? router.groups(keys) : [];
      if (groups.length <= 1) return keys.length === 0 ? [] : read(() => redis.mget(...keys));
      // A cluster: one MGET per hash slot, in one pipeline per master.
      return read(async () => {
        const replies = resultsOf(await router.run(groups.map((group) => ({ key: keys[group[0]!]!, add: (pipeline) => pipeline.mget(...group.map((i) => keys[i]!)) }))));
        const values = new Array<string | null>(keys.length);
        groups.forEach((group, g) => group.forEach((i, j) => (values[i] = (replies[g] as Array<string | null>)[j]!)));
        return values;
      });
    },

    async rangeMany(ranges) {
      if (ranges.length === 0) return [];
      return read(async () =>
        // A key of the wrong type fails its own range only: it reads as `null`, to be discarded.
        rangesOf(await bulkRouter.run(ranges.map((range) => ({ key: range.key, add: (pipeline) => addRange(pipeline, range) })))),
      );
    },

    async set(key, value, ttlMs, leaseKey, index) {
      const keys = leaseKey === undefined ? [key] : [key, leaseKey];
      const [stored] = await write((deadlineMs) =>
        withIndex([{ key, add: (pipeline) => pipeline.mdcSetBefore(keys.length, ...keys, ...announcing, value, ttlMs, deadlineMs) }], index === undefined ? [] : [index]),
      );
      applied(stored as number, 'the write');
    },

    async setMany(entries) {
      if (entries.length === 0) return;
      // One script for all of them; on a cluster, one per hash slot (an entry's lease shares its
      // slot). Across slots, each script keeps what it replaced, and if any fails, those that
      // applied are put back: all or none, as on one server.
      const groups = router.groups(entries.map(({ key }) => key));
      const acrossSlots = groups.length > 1;
      const refs = indexRefsOf(entries);
      await write(async (deadlineMs) => {
        const replies = await withIndexReplies(
          groups.map((group) => {
            const keys = group.map((i) => entries[i]!.key);
            const args: Array<string | number> = [];
            for (const { value, ttlMs, leaseKey } of group.map((i) => entries[i]!)) {
              if (leaseKey !== undefined) keys.push(leaseKey);
              args.push(value, ttlMs, leaseKey === undefined ? 0 : keys.length);
            }
            return { key: keys[0]!, add: (pipeline) => pipeline.mdcSetManyBefore(keys.length, ...keys, ...announcing, deadlineMs, group.length, acrossSlots ? '1' : '0', ...args) };
          }),
          refs,
        );
        const done = replies.map(([error, reply]) => error === null && (Array.isArray(reply) ? reply[0] === 1 : reply === 1));
        const failed = done.indexOf(false);
        if (failed === -1) return;
        const undo = groups.flatMap((group, g) => (done[g] ? [{ group, old: (replies[g]![1] as Array<string | number>).slice(1) }] : []));
        if (undo.length > 0) {
          const undone = undo.map(({ group, old }): Routed => {
            const keys = group.map((i) => entries[i]!.key);
            const args = group.flatMap((i, j) => [entries[i]!.value, old[2 * j]!, old[2 * j + 1]!]);
            return { key: keys[0]!, add: (pipeline) => pipeline.mdcUndoSetMany(keys.length, ...keys, ...announcing, ...args) };
          });
          const undoneKeys = new Set(undo.flatMap(({ group }) => group.map((i) => entries[i]!.key)));
          await withIndexReplies(undone, refs.filter(({ entryKey }) => undoneKeys.has(entryKey))).catch(() => {});
        }
        const [error] = replies[failed]!;
        throw error ?? tooLate('the write');
      });
    },

    async lease(leaseKeys, token, ttlMs) {
      if (leaseKeys.length === 0) return [];
      // Not replicated with WAIT: a lease lost in a failover costs one more upstream call, nothing else.
      return write(async () =>
        resultsOf(await router.run(leaseKeys.map((leaseKey) => ({ key: leaseKey, add: (pipeline) => pipeline.set(leaseKey, token, 'PX', ttlMs, 'NX') })))).map(
          (reply) => reply === 'OK',
        ),
      );
    },

    async fill(entries, token) {
      if (entries.length === 0) return [];
      return write(async () => {
        const fills: Routed[] = entries.map(({ key, leaseKey, value, ttlMs }) => ({ key, add: (pipeline) => pipeline.mdcFill(key, leaseKey, ...announcing, token, value, ttlMs) }));
        // Not waited for either: no one was told a fill is kept, and one lost in a failover is
        // fetched again. A master without its replicas still serves read-through.
        return (await withIndex(fills, indexRefsOf(entries), { replicated: false })).map((stored) => stored === 1);
      });
    },

    awaitFill: (key, ms) => changes.wait(key, ms),

    onChange: (listener, { own = false } = {}) => changes.listen(listener, own),

    async upsertSeries({ key, latestKey, members, ttlMs, maxMembers, lease, index }) {
      if (members.length === 0) return 0;
      const pairs = members.flatMap(({ score, member }) => [score, member]);
      const keys = lease === undefined ? [key, latestKey] : [key, latestKey, lease.key];
      const mode = lease === undefined ? '' : 'drop' in lease ? 'drop' : lease.token;
      const [kept] = (await write((deadlineMs) =>
        withIndex([{ key, add: (pipeline) => pipeline.mdcUpsertSeries(keys.length, ...keys, ...announcing, ttlMs, maxMembers, deadlineMs, mode, ...pairs) }], index === undefined ? [] : [index]),
      )) as number[];
      if (kept === -1) throw tooLate('the bar write');
      if (kept === -2) return -1;
      return kept!;
    },

    async appendLog({ key, idsKey, members, stamp, ttlMs, maxMembers, lease, index }) {
      const keys = lease === undefined ? [key, idsKey] : [key, idsKey, lease.key];
      const mode = lease === undefined ? '' : 'drop' in lease ? 'drop' : lease.token;
      const triples = members.flatMap(({ score, member, id }) => [score, member, id ?? '']);
      const [kept] = (await write((deadlineMs) =>
        withIndex([{ key, add: (pipeline) => pipeline.mdcAppendLog(keys.length, ...keys, ...announcing, ttlMs, maxMembers, deadlineMs, mode, stamp, ...triples) }], index === undefined ? [] : [index]),
      )) as number[];
      if (kept === -1) throw tooLate('the trades write');
      if (kept === -2) return -1;
      return kept!;
    },

    async delete(keys, index = []) {
      if (keys.length === 0) return [];
      // Atomic per hash slot: on a cluster, keys of several slots take one script each.
      const groups = router.groups(keys);
      const replies = (await write((deadlineMs) =>
        withIndex(
          groups.map((group) => {
            const groupKeys = group.map((i) => keys[i]!);
            return { key: groupKeys[0]!, add: (pipeline) => pipeline.mdcDeleteBefore(groupKeys.length, ...groupKeys, ...announcing, deadlineMs) };
          }),
          index,
        ),
      )) as Array<number[] | null>;
      const existed = new Array<boolean>(keys.length);
      groups.forEach((group, g) => {
        const deleted = applied(replies[g]!, 'the delete');
        group.forEach((i, j) => (existed[i] = deleted[j] === 1));
      });
      return existed;
    },

    async indexed(indexKeys) {
      if (indexKeys.length === 0) return [];
      const nowMs = Date.now() + clockOffsetMs;
      return read(async () => resultsOf(await router.run(indexKeys.map((indexKey) => ({ key: indexKey, add: (pipeline) => pipeline.zrange(indexKey, `(${nowMs}`, '+inf', 'BYSCORE') })))) as string[][]);
    },

    async deleteByPrefix(prefix, counts = () => true, indexOf = () => undefined) {
      // Announced before the walk, so that other processes stop keeping these keys at once, and
      // after it, for what they read again of them meanwhile (a walk is not atomic).
      const announce = () => write(() => redis.publish(changeChannel, `${origin} *${prefix}`));
      await announce();
      let deleted = 0;
      // A cluster's keys are spread over its masters: each is walked in turn.
      for (const master of router.masters()) {
        let cursor = '0';
        do {
          const [next, keys] = await write(() => master.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', SCAN_BATCH));
          cursor = next;
          if (keys.length === 0) continue;
          // UNLINK one key at a time (pipelined) so that each result says whether that key existed,
          // and a key that expired between SCAN and UNLINK is not counted. Sent through the router,
          // so that a key whose slot moved since the SCAN is followed to its new master.
          const refs = keys.flatMap((key) => indexOf(key) ?? []);
          const results = (await write(() => withIndex(keys.map((key) => ({ key, add: (pipeline) => pipeline.unlink(key) })), refs))) as number[];
          results.forEach((removed, i) => {
            if (removed === 1 && counts(keys[i]!)) deleted += 1;
          });
        } while (cursor !== '0');
      }
      await announce();
      return deleted;
    },

    async discard(key, raw) {
      await write(() => (raw === null ? redis.mdcDiscard(key) : redis.mdcDiscard(key, raw)));
    },

    async close() {
      changes.close();
    },
  };
}

/** The index scripts that bring `refs` in line, one per index, each reading its entries' PTTL. */
function indexUpdates(refs: readonly IndexRef[]): Routed[] {
  return [...byIndex(refs)].map(([indexKey, group]) => ({
    key: indexKey,
    add: (pipeline) => pipeline.mdcIndex(group.length + 1, indexKey, ...group.map(({ entryKey }) => entryKey), ...group.map(({ member }) => member)),
  }));
}

/**
 * The index scripts that apply observations of entries (their time and PTTL, see OBSERVE in
 * redis-scripts.ts), one per index; the index remembers what it applied last in `<index>:seen`.
 */
function observedIndexUpdates(observed: ReadonlyArray<{ ref: IndexRef; reply: Reply }>): Routed[] {
  const replies = new Map(observed.map(({ ref, reply }) => [ref, reply[1] as [number, number]]));
  return [...byIndex([...replies.keys()])].map(([indexKey, group]) => ({
    key: indexKey,
    add: (pipeline) => pipeline.mdcIndexObserved(indexKey, `${indexKey}:seen`, ...group.flatMap((ref) => [ref.member, ...replies.get(ref)!])),
  }));
}

function byIndex(refs: readonly IndexRef[]): Map<string, IndexRef[]> {
  const groups = new Map<string, IndexRef[]>();
  for (const ref of refs) {
    const group = groups.get(ref.indexKey);
    if (group === undefined) groups.set(ref.indexKey, [ref]);
    else group.push(ref);
  }
  return groups;
}

function indexRefsOf(entries: ReadonlyArray<{ index?: IndexRef }>): IndexRef[] {
  return entries.flatMap(({ index }) => (index === undefined ? [] : [index]));
}

/**
 * What the changes channel says, heard through one subscription on `subscriber` (made on first
 * use, and again once Redis is back if it could not be made): waiters for a fill of a key are
 * woken by any announced change of it, and listeners hear every change another origin announced (and, if they asked, this one's).
 * Pub/sub delivers at most once: once subscribed again after the subscriber's connection was lost
 * (by this store at the reconnection; on a cluster, by `subscribeOnCluster`), listeners are told
 * that anything may have changed (the prefix `''`).
 * Without a subscriber, a waiter waits its whole bound and listeners hear nothing.
 */
function listenForChanges(subscriber: RedisClient | undefined, channel: string, origin: string) {
  const waiting = new Map<string, Set<() => void>>();
  const listeners: Array<{ listener: (change: Change) => void; own: boolean }> = [];
  /** Tells the listeners of `change`; a change this store made, only those that hear their own. */
  const tell = (change: Change, mine = false) => {
    for (const { listener, own } of listeners) if (own || !mine) listener(change);
  };
  const hear = (message: string) => {
    const space = message.indexOf(' ');
    if (space === -1) return;
    const [sender, what] = [message.slice(0, space), message.slice(space + 1)];
    if (what.startsWith('*')) {
      tell({ prefix: what.slice(1) }, sender === origin);
      return;
    }
    for (const done of [...(waiting.get(what) ?? [])]) done();
    tell({ key: what }, sender === origin);
  };
  // Subscribed once asked to (by a listener or a waiter), and again at every reconnection.
  let wanted = false;
  let onCluster: ClusterSubscription | undefined;
  let subscribedBefore = false;
  // After the first subscription, each new one says that announcements may have been missed.
  const subscribed = () => {
    if (subscribedBefore) tell({ prefix: '' });
    subscribedBefore = true;
  };
  // The subscription on the subscriber's current connection; each attempt's outcome counts only
  // while it is the latest one and its connection has not closed since.
  let state: 'none' | 'pending' | 'made' = 'none';
  let attempt = 0;
  const subscribe = () => {
    if (subscriber === undefined) return;
    if (subscriber instanceof Cluster) {
      onCluster ??= subscribeOnCluster(subscriber, channel, hear, subscribed);
      return;
    }
    if (state !== 'none') return;
    state = 'pending';
    const mine = ++attempt;
    subscriber.subscribe(channel).then(
      () => {
        if (mine !== attempt) return;
        state = 'made';
        subscribed();
      },
      () => {
        if (mine !== attempt) return;
        state = 'none';
        // Lost with its connection, the next 'ready' subscribes again; refused on a live one, soon.
        if (subscriber.status === 'ready') setTimeout(() => mine === attempt && subscribe(), 100).unref();
      },
    );
  };
  const want = () => {
    if (wanted) return;
    wanted = true;
    subscribe();
  };
  if (subscriber instanceof Redis) {
    // ioredis subscribes again by itself after a reconnection, with a command whose failure nothing
    // handles: with no retries (maxRetriesPerRequest 0), a connection lost again before its reply
    // rejects it unhandled, which ends the process, and the subscription is gone for good. This
    // store subscribes again itself, at every 'ready'.
    subscriber.options.autoResubscribe = false;
    subscriber.on('message', (from: string, message: string) => {
      if (from === channel) hear(message);
    });
    subscriber.on('close', () => {
      state = 'none';
      attempt += 1;
    });
    subscriber.on('ready', () => {
      if (wanted) subscribe();
    });
  }
  return {
    listen(listener: (change: Change) => void, own: boolean) {
      listeners.push({ listener, own });
      want();
    },
    close: () => onCluster?.close(),
    wait(key: string, ms: number): Promise<void> {
      want();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          const set = waiting.get(key);
          set?.delete(done);
          if (set?.size === 0) waiting.delete(key);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiting.set(key, (waiting.get(key) ?? new Set()).add(done));
      });
    },
  };
}

const UNAVAILABLE_REPLIES = /^(CLUSTERDOWN|TRYAGAIN|READONLY|MASTERDOWN|LOADING|MOVED|ASK|NOREPLICAS|BUSY) /;

interface Deadline {
  /** Fail once the connection has received nothing for this long. */
  silenceMs: number;
  /** Fail as busy past this long, even while the connection keeps receiving. */
  maxMs?: number;
  /** How many chunks the connection has received so far. */
  progress?: () => number;
  /** What waited, for the message: `a read`. */
  what: string;
  /** The limit the messages name, when not `silenceMs` and `maxMs` (a write's deadline, less the reply's trip). */
  limitMs?: number;
}

/**
 * Runs `command`, failing with `CacheUnavailableError` if Redis cannot be reached or stops
 * answering. The command itself is not cancelled (Redis has no way to); its late answer or error is
 * ignored.
 *
 * Silence is what says Redis is unavailable: a frozen, dead or cut-off server sends nothing. A
 * server sending a large reply, or many replies queued ahead of this one, is alive and busy: while
 * its connection keeps receiving, a read waits on, up to `maxMs`, and only then fails, marked busy
 * so that the circuit breaker does not take a client's heavy reads for an outage.
 */
async function answered<T>(command: () => Promise<T>, { silenceMs, maxMs = silenceMs, progress, what, limitMs }: Deadline): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const startedAt = performance.now();
  // When the connection was last seen to have received something: a check that finds the count
  // of chunks moved takes its own time as that moment.
  let seen = progress?.();
  let heardAt = startedAt;
  let dueAt = 0;
  let graced = false;
  const timeout = new Promise<never>((_, reject) => {
    // After a stall of the event loop (a long GC, a CPU-bound request), Node runs expired timers
    // before it reads the sockets: an answer Redis sent in time would lose to its own timeout.
    // Deferring the check to the check phase lets the poll phase deliver that answer first, and a
    // check that runs late (the process was not listening) looks again once before it judges.
    const arm = (delayMs: number) => {
      dueAt = performance.now() + delayMs;
      timer = setTimeout(() => setImmediate(check), delayMs);
    };
    const check = () => {
      if (settled) return;
      const now = performance.now();
      if (now - dueAt > STALL_MS && !graced) {
        graced = true;
        arm(STALL_MS);
        return;
      }
      graced = false;
      const count = progress?.();
      if (count !== seen) {
        seen = count;
        heardAt = now;
      }
      if (now - heardAt >= silenceMs) {
        reject(new CacheUnavailableError(`Redis did not answer ${what} within ${limitMs ?? silenceMs} ms`));
      } else if (now - startedAt >= maxMs) {
        reject(new CacheUnavailableError(`Redis did not finish ${what} within ${limitMs ?? maxMs} ms`, { busy: true }));
      } else {
        arm(Math.min(silenceMs - (now - heardAt), maxMs - (now - startedAt)));
      }
    };
    arm(Math.min(silenceMs, maxMs));
  });
  try {
    return await Promise.race([command(), timeout]);
  } catch (error) {
    if (error instanceof CacheUnavailableError) throw error;
    // Replies that say the server cannot serve this now (a cluster or a failover under way, a
    // replica still loading) are an outage like any other; any other reply error is the caller's.
    if (error instanceof ReplyError) {
      const { message } = error as Error;
      if (UNAVAILABLE_REPLIES.test(message)) throw new CacheUnavailableError(`Redis is not serving this key now (${message.split(' ')[0]})`, { cause: error });
      throw error;
    }
    // ioredis's own text ("Stream isn't writeable and enableOfflineQueue options is false") is
    // for the log (the cause), not for clients.
    throw new CacheUnavailableError('Redis is not connected', { cause: error });
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}

/**
 * Counts the chunks `client`'s connections receive (a cluster's: those to each of its nodes), on
 * every connection they make: the sign of life that tells a busy Redis from an unavailable one.
 */
function watchProgress(client: RedisClient): () => number {
  let chunks = 0;
  const watched = new WeakSet<object>();
  const follow = (redis: Redis) => {
    const watch = () => {
      const stream = (redis as unknown as { stream?: NodeJS.EventEmitter }).stream;
      if (stream === undefined || watched.has(stream)) return;
      watched.add(stream);
      stream.on('data', () => chunks++);
    };
    watch();
    redis.on('connect', watch);
  };
  if (client instanceof Cluster) {
    client.nodes().forEach(follow);
    client.on('+node', follow);
  } else {
    follow(client);
  }
  return () => chunks;
}

function addRange(pipeline: ChainableCommander, { key, minScore, maxScore, limit }: SeriesRange) {
  const max = maxScore === undefined ? '+inf' : maxScore;
  const min = minScore === undefined ? '-inf' : minScore;
  pipeline.zrange(key, max, min, 'BYSCORE', 'REV', 'LIMIT', 0, limit);
}

/** A range pipeline's replies: a WRONGTYPE key reads as `null`, any other error fails the batch. */
function rangesOf(replies: Array<[Error | null, unknown]> | null): Array<string[] | null> {
  if (replies === null) throw new Error('Redis aborted the pipeline');
  return replies.map(([error, result]) => {
    if (error?.message.startsWith('WRONGTYPE')) return null;
    if (error) throw error;
    return result as string[];
  });
}

/** Unwraps a pipeline's `[error, result]` pairs, failing the whole batch on the first error. */
function resultsOf(replies: Array<[Error | null, unknown]> | null): unknown[] {
  if (replies === null) throw new Error('Redis aborted the transaction (EXEC returned null)');
  return replies.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}

/** Escapes the characters `SCAN MATCH` treats as a pattern, so a prefix only matches itself. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
