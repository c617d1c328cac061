import { mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startServer } from './children.js';
import { drive, type LoadOptions } from './load.js';
import { formatSummary, summariseProfile } from './summarise-profile.js';
import type { Workload } from './workloads.js';

export const PROFILE_DIR = join(ROOT, 'bench-results');

/**
 * A CPU profile of the gateway under each workload: a fresh gateway process per workload, run
 * with `node --cpu-prof`, warmed up, driven like the comparison, then stopped with SIGTERM (its
 * graceful shutdown exits, and V8 writes the profile). The summary leaves out start-up and
 * warm-up: it covers the measured load only.
 */
export async function profileGateway(
  workloads: readonly Workload[],
  gatewayEnv: Record<string, string>,
  { warmupSeconds, ...load }: LoadOptions & { warmupSeconds: number },
): Promise<string[]> {
  const reports: string[] = [];
  for (const workload of workloads) {
    // Every thread writes a profile (were there a worker, e.g. a module loader's), each named
    // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: the gateway's is thread 0's.
    const dir = mkdtempSync(join(PROFILE_DIR, `profile-${workload.id}-`));
    const spawnedAt = performance.now();
    const gateway = await startServer('gateway', 'bench/servers/gateway.ts', {
      env: gatewayEnv,
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
    });
    await drive(gateway.url, workload, { ...load, seconds: warmupSeconds });
    const loadStartsMs = performance.now() - spawnedAt;
    const figures = await drive(gateway.url, workload, load);
    await gateway.stop();
    const main = readdirSync(dir).find((name) => name.split('.')[4] === '0');
    if (main === undefined) throw new Error(`no main-thread profile in ${dir}: ${readdirSync(dir).join(', ')}`);
    const path = join(PROFILE_DIR, `gateway-${workload.id}.cpuprofile`);
    renameSync(join(dir, main), path);
    rmSync(dir, { recursive: true, force: true });
    const title = `gateway under ${workload.id} (${workload.title}), profiled: ${figures.reqPerSec.toFixed(0)} req/s; ${path}`;
    reports.push(formatSummary(title, summariseProfile(path, { top: 20, skipMs: loadStartsMs })));
  }
  return reports;
}
