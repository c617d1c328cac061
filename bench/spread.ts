import { drive, type LoadFigures, type LoadOptions } from './load.js';
import type { Workload } from './workloads.js';

/**
 * `drive` over several servers at once, as a load balancer in front of them would spread clients:
 * connection i goes to `urls[i % urls.length]` for the whole run, so each server gets
 * `connections / urls.length` of them, and the figures (rate, latency percentiles, failures) are
 * those of every answer together, from one autocannon instance.
 */
export function driveSpread(urls: readonly string[], workload: Workload, options: LoadOptions): Promise<LoadFigures> {
  if (urls.length === 0 || options.connections % urls.length !== 0) {
    throw new RangeError(`driveSpread: expected a number of connections that divides evenly over the servers, received ${options.connections} connections for ${urls.length} servers`);
  }
  if (urls.length === 1) return drive(urls[0]!, workload, options);
  // autocannon's `url` takes a list, spread as above; `drive` hands its URL to autocannon as it
  // is, and bench/autocannon.d.ts declares only the one-string form the rest of the benchmark uses.
  return drive(urls as unknown as string, workload, options);
}
