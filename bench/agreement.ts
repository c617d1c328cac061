import type { Redis } from 'ioredis';
import type { ServerChild } from './children.js';
import { commandsSinceReset, readsSinceReset, resetStats, totalCalls } from './redis-stats.js';
import { dataDifference } from './same-data.js';
import type { Workload, WorkloadId } from './workloads.js';

/** Requests per server and workload for counting round trips, one at a time. */
const SEQUENTIAL_REQUESTS = 10;
const REQUEST_TIMEOUT_MS = 5000;

export interface Agreement {
  /** Response body size in bytes, per workload and server (the same for all but those answering in stored shape). */
  bytes: Record<WorkloadId, Record<string, number>>;
  /** Per workload and server: Redis commands and socket reads per request, one request at a time. */
  sequential: Record<WorkloadId, Record<string, { commands: number; roundTrips: number }>>;
}

export class DisagreementError extends Error {
  override name = 'DisagreementError';
}

/**
 * Before anything is timed: every server answers every workload with the same bytes as the
 * gateway (the same request body to each), and the gateway's answer is complete data (no
 * `errors`, no `null`: every value the fill wrote is found). Fails with the first difference
 * shown side by side. The servers named in `storedShape` write stored values as they are
 * (servers/splice.ts), so they are held to the same data instead (same-data.ts). Then counts,
 * one request at a time, the commands and round trips each server costs Redis.
 */
export async function checkAgreement(servers: readonly ServerChild[], workloads: readonly Workload[], stats: Redis, storedShape: readonly string[] = []): Promise<Agreement> {
  const [reference, ...others] = servers;
  const agreement: Agreement = { bytes: {} as Agreement['bytes'], sequential: {} as Agreement['sequential'] };
  for (const workload of workloads) {
    const body = workload.body();
    const expected = await post(reference!, body);
    if (!expected.startsWith('{"data":') || expected.includes('null')) {
      throw new DisagreementError(`${workload.id}: ${reference!.name} answered ${expected.slice(0, 300)}: expected complete data, no errors and no null`);
    }
    agreement.bytes[workload.id] = { [reference!.name]: Buffer.byteLength(expected) };
    for (const server of others) {
      const actual = await post(server, body);
      if (storedShape.includes(server.name)) {
        const different = dataDifference(expected, actual);
        if (different) throw new DisagreementError(`${workload.id}: ${server.name} does not answer the data ${reference!.name} does: ${different}`);
      } else if (actual !== expected) {
        throw new DisagreementError(difference(workload.id, reference!.name, expected, server.name, actual));
      }
      agreement.bytes[workload.id][server.name] = Buffer.byteLength(actual);
    }

    agreement.sequential[workload.id] = {};
    for (const server of servers) {
      await resetStats(stats);
      for (let i = 0; i < SEQUENTIAL_REQUESTS; i += 1) await post(server, body);
      const commands = totalCalls(await commandsSinceReset(stats));
      const reads = await readsSinceReset(stats) - 1; // the INFO commandstats just above
      agreement.sequential[workload.id][server.name] = { commands: commands / SEQUENTIAL_REQUESTS, roundTrips: reads / SEQUENTIAL_REQUESTS };
    }
  }
  return agreement;
}

async function post(server: ServerChild, body: string): Promise<string> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  if (response.status !== 200) throw new DisagreementError(`${server.name} answered HTTP ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

function difference(workload: WorkloadId, referenceName: string, expected: string, name: string, actual: string): string {
  let at = 0;
  while (at < expected.length && expected[at] === actual[at]) at += 1;
  const around = (text: string) => JSON.stringify(text.slice(Math.max(0, at - 80), at + 80));
  return [
    `${workload}: ${name} does not answer what ${referenceName} does (${actual.length} vs ${expected.length} characters; first difference at character ${at}):`,
    `  ${referenceName.padEnd(14)} ...${around(expected)}...`,
    `  ${name.padEnd(14)} ...${around(actual)}...`,
  ].join('\n');
}
