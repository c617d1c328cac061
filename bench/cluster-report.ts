import type { ClusterRow, ClusterSection } from './cluster-section.js';

const ms = (value: number) => (Number.isNaN(value) ? '-' : value.toFixed(2));

/** Aligned columns: the first to the left, the others to the right. */
function table<T>(columns: Array<{ title: string; cell: (row: T) => string }>, rows: readonly T[]): string[] {
  const cells = [columns.map((c) => c.title), ...rows.map((r) => columns.map((c) => c.cell(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells.map((line) => line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
}

/**
 * The cluster section: req/s and latency per workload, topology and number of gateway processes,
 * each rate also as a multiple of the standalone server's with one process; then round trips per
 * request, per master and in total, with how they were counted.
 */
export function formatCluster(section: ClusterSection): string {
  const { rows, roundTrips, masters, settings } = section;
  const base = (r: ClusterRow) => rows.find((b) => b.workload === r.workload && b.topology === 'standalone' && b.gateways === 1);
  const load = table<ClusterRow>(
    [
      { title: 'workload', cell: (r) => r.workload },
      { title: 'redis', cell: (r) => r.topology },
      { title: 'gateways', cell: (r) => String(r.gateways) },
      { title: 'req/s', cell: (r) => r.reqPerSec.toFixed(0) },
      { title: 'vs standalone, 1 gateway', cell: (r) => `${(r.reqPerSec / (base(r)?.reqPerSec ?? Number.NaN)).toFixed(2)}x` },
      { title: 'p50 ms', cell: (r) => ms(r.p50Ms) },
      { title: 'p99 ms', cell: (r) => ms(r.p99Ms) },
    ],
    rows,
  );
  const trips = table<ClusterSection['roundTrips'][number]>(
    [
      { title: 'workload', cell: (r) => r.workload },
      { title: 'redis', cell: (r) => r.topology },
      { title: `per master${masters.length > 1 ? ` (:${masters.join(' :')})` : ''}`, cell: (r) => r.perMaster.map((n) => n.toFixed(2)).join(' ') },
      { title: 'total', cell: (r) => r.total.toFixed(2) },
      { title: 'cmds/req', cell: (r) => r.cmdsPerReq.toFixed(2) },
    ],
    roundTrips,
  );
  const lines = [
    '',
    `Redis Cluster: W2 and W6 on ${masters.length} masters (one replica each) against one standalone redis-server, with 1 and 2 gateway processes`,
    `(${settings})`,
    ...load,
    ...rows.filter((r) => Object.values(r.failures).some((n) => n > 0)).map((r) => `  ! ${r.workload} ${r.topology}, ${r.gateways} gateways: failed requests ${JSON.stringify(r.failures)} (not counted in req/s)`),
    '',
    `Redis round trips per request, counted IN-PROCESS, not in the gateway processes above: the gateway's configuration offers no natMap, so`,
    `its processes cannot be routed through counting proxies. An in-process gateway (createGateway over createRedisStore, on an ioredis Cluster`,
    `with natMap and scaleReads 'master', or a plain connection) reached each master through a TCP proxy; ${roundTrips[0]?.requests ?? 0} requests per row, one at a time.`,
    `A cluster's round trips to different masters are sent at once: they overlap, and cost about one round trip of time.`,
    ...trips,
  ];
  return lines.join('\n');
}
