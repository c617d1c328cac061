import type { TopologyHarness } from './topologies.js';

/** Redis processes suspended and let run again together, as one Redis that stops answering. */
export interface Freezable {
  /** SIGSTOP to each: connections stay open, nothing is answered until `resume`. */
  freeze(): void;
  /** SIGCONT to each; harmless when none is frozen, or once they have exited. */
  resume(): void;
}

/**
 * Every process of a topology's set-up that holds data: the server; every cluster node, masters
 * and replicas; the Sentinel master and its replica. Sentinels keep running: they would start a
 * failover only after 1 s without an answer (`down-after-milliseconds`), and the freezes of the
 * tests that use this last a read's time limit, a few tens of milliseconds.
 *
 * The Sentinel set-up hands out clients, not its processes: each one's pid is read from
 * `INFO server`, once, while it answers.
 */
export async function dataProcesses(harness: TopologyHarness): Promise<Freezable> {
  const { server, cluster, sentinel } = harness;
  if (server) return server;
  if (cluster) {
    const servers = cluster.nodes.map((node) => node.server);
    return {
      freeze: () => servers.forEach((node) => node.freeze()),
      resume: () => servers.forEach((node) => node.resume()),
    };
  }
  if (!sentinel) throw new Error(`the ${harness.topology} harness has no server, cluster or sentinel set-up: call dataProcesses after its beforeAll`);
  const pids = await Promise.all(
    [sentinel.masterPort, sentinel.replicaPort].map(async (port) => {
      const client = sentinel.node(port);
      try {
        const pid = Number(/^process_id:(\d+)/m.exec(await client.info('server'))?.[1]);
        if (!(pid > 0)) throw new Error(`INFO server of 127.0.0.1:${port} names no process_id`);
        return pid;
      } finally {
        client.disconnect();
      }
    }),
  );
  return {
    freeze: () => pids.forEach((pid) => process.kill(pid, 'SIGSTOP')),
    resume: () => pids.forEach((pid) => signal(pid, 'SIGCONT')),
  };
}

/** Like the servers' own `resume`, a signal to a process that has exited since is not an error. */
function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
