import type { Cluster, Redis } from 'ioredis';

/**
 * How long the cluster and Sentinel set-ups wait for anything: their start-up and a failover take
 * about 2.5 s each here, idle or busy.
 */
export const WAIT_UNTIL_MS = 20_000;

/** Retries `check` until it resolves; past `timeoutMs`, rejects with `failure` and the last reason. */
export async function waitUntil<T>(failure: string, check: () => Promise<T>, timeoutMs = WAIT_UNTIL_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${failure} within ${timeoutMs / 1000} s: ${(error as Error).message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Without an `'error'` listener, ioredis logs every failed reconnection to a killed process,
 * dozens a second; the errors still reach the commands that meet them.
 */
export function quiet<T extends Redis | Cluster>(client: T): T {
  client.on('error', () => {});
  return client;
}
