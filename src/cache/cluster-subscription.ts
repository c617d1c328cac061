import { Redis, type Cluster } from 'ioredis';

export interface ClusterSubscription {
  close(): void;
}

/**
 * A subscription to an ordinary (not sharded) channel of a Redis Cluster, on a connection of its
 * own to one node: every node delivers every ordinary channel's messages, over the cluster bus.
 * When that connection is lost, it subscribes again through the next node `cluster` knows of (the
 * lost one may be a dead master), and calls `onSubscribed` each time it is subscribed.
 *
 * ioredis's own cluster subscriber also moves to another node, but says nothing when it does, and
 * messages published meanwhile are lost without a sign: the store must hear of it, to forget what
 * it may have missed (see `listenForChanges` in redis-store.ts).
 *
 * Why not sharded pub/sub: a change is announced by the script that makes it, in the same atomic
 * step, and a script may only publish to a shard channel of its own keys' slot; a gateway would
 * have to subscribe to one channel per slot it may hear of, 16384 of them.
 */
export function subscribeOnCluster(
  cluster: Cluster,
  channel: string,
  onMessage: (message: string) => void,
  onSubscribed: () => void,
): ClusterSubscription {
  let closed = false;
  let attempt = 0;
  let current: Redis | undefined;
  let timer: NodeJS.Timeout | undefined;
  const retry = () => {
    if (!closed) timer = setTimeout(connect, Math.min(50 * attempt, 500)).unref();
  };
  const connect = () => {
    const nodes = cluster.nodes('master');
    const node = nodes[attempt++ % Math.max(nodes.length, 1)];
    // The cluster has not read its slot map yet (or lost every node): try again shortly.
    if (node === undefined) return retry();
    const { host, port, username, password, tls } = node.options;
    const redis = new Redis({ host, port, username, password, tls, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 2000 });
    current = redis;
    redis.on('error', () => {}); // the cluster's own connections report the outage
    redis.on('message', (from: string, message: string) => {
      if (from === channel) onMessage(message);
    });
    redis.once('end', () => {
      if (current === redis) current = undefined;
      retry();
    });
    redis
      .connect()
      .then(() => redis.subscribe(channel))
      .then(
        () => {
          if (closed) return;
          attempt = 0;
          onSubscribed();
        },
        () => redis.disconnect(),
      );
  };
  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      current?.disconnect();
    },
  };
}
