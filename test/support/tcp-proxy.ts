import { createServer, connect, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback that stands between the gateway and its redis-server, to make the
 * network misbehave on command: slow (latency per chunk), broken (connections dropped, new ones
 * refused) or silent (new connections accepted and never answered). `close` ends everything it
 * opened.
 */
export interface TcpProxy {
  port: number;
  /** `redis://` URL through the proxy. */
  url: string;
  /**
   * Delays every chunk by `ms` in each direction (`upstream`: towards the server, `downstream`:
   * back to the client), keeping their order. 0 passes chunks on at once again.
   */
  setLatency(ms: number, direction?: 'both' | 'upstream' | 'downstream'): void;
  /**
   * Round trips made so far, over every connection: each time a client sends after the server
   * last answered it (or for the first time). Requests pipelined before an answer count once, so
   * this counts what waiting on answers costs, whatever the machine's speed.
   */
  roundTrips(): number;
  /** Destroys every open connection (both ends); the client sees its connection reset. */
  dropConnections(): void;
  /** New connections are reset as soon as they are accepted, until `restore`. */
  refuseNew(): void;
  /**
   * New connections are accepted and never answered (what they send is discarded), until
   * `restore`, which then destroys them, as a partition that heals would.
   */
  blackholeNew(): void;
  /**
   * Back to a plain pipe: no latency, and chunks still waiting out a latency leave at once (the
   * network is healthy again, not slowly draining); refused or blackholed connections end. Open
   * connections live on.
   */
  restore(): void;
  close(): Promise<void>;
}

type Mode = 'pass' | 'refuse' | 'blackhole';

/** Starts a proxy on 127.0.0.1 (a free port, or `port`) forwarding to `127.0.0.1:targetPort`. */
export async function startTcpProxy(targetPort: number, { port = 0 }: { port?: number } = {}): Promise<TcpProxy> {
  let mode: Mode = 'pass';
  let roundTrips = 0;
  const latency = { upstream: 0, downstream: 0 };
  const pairs = new Set<{ client: Socket; server: Socket; timers: Set<NodeJS.Timeout>; flushAll: Array<() => void> }>();
  const held = new Set<Socket>();

  const listener = createServer((client) => {
    client.on('error', () => {}); // a reset is what this proxy is for
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'blackhole') {
      held.add(client);
      client.on('data', () => {});
      client.once('close', () => held.delete(client));
      return;
    }
    const server = connect(targetPort, '127.0.0.1');
    server.on('error', () => {});
    const pair = { client, server, timers: new Set<NodeJS.Timeout>(), flushAll: [] as Array<() => void> };
    let answered = true;
    client.on('data', () => {
      if (answered) roundTrips += 1;
      answered = false;
    });
    server.on('data', () => void (answered = true));
    pairs.add(pair);
    // Chunks are queued per direction and leave in arrival order, each no earlier than its due
    // time: lowering the latency never lets a later chunk overtake an earlier one.
    const pipe = (from: Socket, to: Socket, direction: 'upstream' | 'downstream') => {
      const queue: Array<{ chunk: Buffer; due: number }> = [];
      let lastDue = 0;
      const flush = (now = performance.now()) => {
        while (queue.length > 0 && queue[0]!.due <= now) {
          const { chunk } = queue.shift()!;
          if (!to.destroyed) to.write(chunk);
        }
        if (queue.length > 0) schedule(queue[0]!.due - performance.now());
      };
      const schedule = (ms: number) => {
        const timer = setTimeout(() => {
          pair.timers.delete(timer);
          flush();
        }, Math.max(0, ms));
        pair.timers.add(timer);
      };
      pair.flushAll.push(() => {
        lastDue = 0;
        flush(Infinity);
      });
      from.on('data', (chunk: Buffer) => {
        if (to.destroyed) return;
        const delay = latency[direction];
        if (delay === 0 && queue.length === 0) {
          to.write(chunk);
          return;
        }
        lastDue = Math.max(lastDue, performance.now() + delay);
        queue.push({ chunk, due: lastDue });
        if (queue.length === 1) schedule(lastDue - performance.now());
      });
    };
    pipe(client, server, 'upstream');
    pipe(server, client, 'downstream');
    const end = () => {
      pair.timers.forEach(clearTimeout);
      client.destroy();
      server.destroy();
      pairs.delete(pair);
    };
    client.once('close', end);
    server.once('close', end);
  });

  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, '127.0.0.1', () => resolve());
  });
  const boundPort = (listener.address() as { port: number }).port;

  const dropConnections = () => {
    for (const { client, server, timers } of pairs) {
      timers.forEach(clearTimeout);
      client.resetAndDestroy();
      server.destroy();
    }
    pairs.clear();
  };
  const releaseHeld = () => {
    held.forEach((socket) => socket.resetAndDestroy());
    held.clear();
  };

  return {
    port: boundPort,
    url: `redis://127.0.0.1:${boundPort}`,
    setLatency(ms, direction = 'both') {
      if (direction !== 'downstream') latency.upstream = ms;
      if (direction !== 'upstream') latency.downstream = ms;
    },
    roundTrips: () => roundTrips,
    dropConnections,
    refuseNew: () => void (mode = 'refuse'),
    blackholeNew: () => void (mode = 'blackhole'),
    restore() {
      mode = 'pass';
      latency.upstream = 0;
      latency.downstream = 0;
      for (const pair of pairs) {
        pair.timers.forEach(clearTimeout);
        pair.timers.clear();
        pair.flushAll.forEach((flushNow) => flushNow());
      }
      releaseHeld();
    },
    async close() {
      mode = 'refuse';
      dropConnections();
      releaseHeld();
      await new Promise((resolve) => listener.close(resolve));
    },
  };
}
