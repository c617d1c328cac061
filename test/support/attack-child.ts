import { readFileSync } from 'node:fs';
import { kill, run, startupLine, type Run } from './process.js';

/**
 * The gateway as its own process (`src/main.ts` through tsx), with a bounded V8 heap, for attacks
 * that could exhaust memory: a gateway that gives way dies alone, where the test can see it,
 * instead of taking the test runner with it.
 */
export interface ChildGateway extends Run {
  url: string;
  pid: number;
  /** Whether the process is still running. */
  alive(): boolean;
  /** Resident memory now and at its peak (VmRSS, VmHWM), in MiB; 0 once the process is gone. */
  memoryMiB(): { rss: number; peak: number };
  stop(): void;
}

/** Runs the gateway with exactly `env` (on a port the OS picks, on loopback) and waits for its start-up line. */
export async function startChildGateway(env: Record<string, string>, { heapMiB }: { heapMiB: number }): Promise<ChildGateway> {
  const started = run('src/main.ts', {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    NODE_OPTIONS: `--max-old-space-size=${heapMiB}`,
    ...env,
  });
  try {
    const { url } = await startupLine(started);
    const pid = started.child.pid!;
    const alive = () => started.child.exitCode === null && started.child.signalCode === null;
    return {
      ...started,
      url,
      pid,
      alive,
      memoryMiB: () => (alive() ? statusMiB(pid) : { rss: 0, peak: 0 }),
      stop: () => kill(started.child),
    };
  } catch (error) {
    kill(started.child);
    throw error;
  }
}

function statusMiB(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
  } catch {
    return { rss: 0, peak: 0 }; // it exited between the check and the read
  }
}
