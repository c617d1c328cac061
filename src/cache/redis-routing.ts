import calculateSlot from 'cluster-key-slot';
import { Cluster, type ChainableCommander, type Redis } from 'ioredis';
import { CacheUnavailableError } from './cache-unavailable.js';
import type { RedisClient } from './redis-client.js';

/** One command for `Router.run`: the key whose hash slot (on a cluster) says where it goes. */
export interface Routed {
  key: string;
  add(pipeline: ChainableCommander): unknown;
}

export type Reply = [Error | null, unknown];

/**
 * Sends commands where their keys live, in as few round trips as the topology allows: on one
 * server (standalone or Sentinel), one pipeline; on a Redis Cluster, one pipeline per master,
 * all sent at once, so that a request costs at most one round trip per master it touches.
 *
 * ioredis writes a script in full (`EVAL`) the first time a connection runs it and by hash after,
 * so scripts cost no extra round trip on any topology.
 */
export interface Router {
  readonly cluster: boolean;
  /**
   * Groups `keys` (by their positions) into sets one multi-key command may take together: all of
   * them on one server, those of one hash slot on a cluster.
   */
  groups(keys: readonly string[]): number[][];
  /**
   * Runs `commands`, each in the pipeline of the node that serves its key; resolves to each one's
   * `[error, reply]`, in order. On a cluster, a command answered `MOVED` or `ASK` (a slot being
   * moved) is sent again alone, and ioredis follows the redirection and learns the new slot map.
   * With `waitReplicas`, each pipeline ends with `WAIT`: a command's reply becomes an error unless
   * that many replicas of its node confirmed it within `waitTimeoutMs`.
   */
  run(commands: readonly Routed[], options?: { waitReplicas?: number; waitTimeoutMs?: number }): Promise<Reply[]>;
  /** The connections to every master (one, off a cluster): where a walk of the keyspace goes. */
  masters(): Redis[];
}

export function createRouter(client: RedisClient): Router {
  if (!(client instanceof Cluster)) {
    return {
      cluster: false,
      groups: (keys) => (keys.length === 0 ? [] : [keys.map((_, i) => i)]),
      run: (commands, options) => runPipeline(client, commands, options),
      masters: () => [client],
    };
  }
  const nodeOf = (key: string) => {
    const slot = calculateSlot(key);
    return client.slots[slot]?.[0] ?? `slot ${slot}`;
  };
  return {
    cluster: true,
    groups(keys) {
      const bySlot = new Map<number, number[]>();
      keys.forEach((key, i) => {
        const slot = calculateSlot(key);
        const group = bySlot.get(slot);
        if (group === undefined) bySlot.set(slot, [i]);
        else group.push(i);
      });
      return [...bySlot.values()];
    },
    async run(commands, options) {
      const byNode = new Map<string, number[]>();
      commands.forEach(({ key }, i) => {
        const node = nodeOf(key);
        const group = byNode.get(node);
        if (group === undefined) byNode.set(node, [i]);
        else group.push(i);
      });
      const replies = new Array<Reply>(commands.length);
      const runAt = async (positions: number[]) => {
        const nodeReplies = await runPipeline(client, positions.map((i) => commands[i]!), options);
        positions.forEach((i, j) => (replies[i] = nodeReplies[j]!));
      };
      await Promise.all(
        [...byNode.values()].map((positions) =>
          runAt(positions).catch((error: Error) => {
            // Just after a redirection ioredis knows a slot's new master before it regroups its
            // slots, and refuses a pipeline that its old grouping splits: each command alone, then.
            if (!error.message.startsWith('All keys in the pipeline should belong to the same slots allocation group')) throw error;
            return Promise.all(positions.map((i) => runAt([i])));
          }),
        ),
      );
      // A slot that moved since the map was read: each such command again, alone, following the redirection.
      await Promise.all(
        replies.map(async ([error], i) => {
          if (error !== null && /^(MOVED|ASK) /.test(error.message)) replies[i] = (await runPipeline(client, [commands[i]!], options))[0]!;
        }),
      );
      return replies;
    },
    masters() {
      // None known yet (the first slot map has not arrived): a walk must fail, not find nothing.
      const masters = client.nodes('master');
      if (masters.length === 0) throw new CacheUnavailableError('no master of the Redis Cluster is known yet');
      return masters;
    },
  };
}

async function runPipeline(client: RedisClient, commands: readonly Routed[], { waitReplicas = 0, waitTimeoutMs = 0 } = {}): Promise<Reply[]> {
  if (commands.length === 0) return [];
  const pipeline = client.pipeline();
  for (const command of commands) command.add(pipeline);
  if (waitReplicas > 0) pipeline.wait(waitReplicas, waitTimeoutMs);
  const replies = await pipeline.exec();
  if (replies === null) throw new Error('Redis aborted the pipeline');
  if (waitReplicas === 0) return replies as Reply[];
  const [waitError, confirmed] = replies.pop() as Reply;
  if (waitError === null && (confirmed as number) >= waitReplicas) return replies as Reply[];
  // Redis answered: a master short of replicas is not down, and its reads are not to be refused
  // for it (busy failures do not open the circuit).
  const unconfirmed = new CacheUnavailableError(
    waitError === null
      ? `Redis applied the write but only ${confirmed as number} of ${waitReplicas} replicas confirmed it within ${waitTimeoutMs} ms`
      : `Redis could not confirm the write on ${waitReplicas} replicas: ${waitError.message}`,
    { busy: true },
  );
  return (replies as Reply[]).map(([error, reply]) => [error ?? unconfirmed, reply]);
}
