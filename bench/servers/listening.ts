import type { Server } from 'node:http';

/**
 * The contract between the runner and a server child: the child listens on a free loopback port,
 * sends `{ port }` over the IPC channel, and exits when the runner goes away (the channel
 * closes), so that a crashed or interrupted run leaves no server behind.
 */
export function announce(port: number): void {
  if (!process.send) throw new Error('a benchmark server expects to be started by bench/run.ts (with an IPC channel)');
  process.send({ port });
  process.once('disconnect', () => process.exit(0));
}

/** Listens on a free loopback port and announces it. */
export function listenAndAnnounce(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      announce((server.address() as { port: number }).port);
      resolve();
    });
  });
}
