import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { LoadFigures } from './load.js';
import type { Workload, WorkloadId } from './workloads.js';

export interface Row extends LoadFigures {
  workload: WorkloadId;
  server: string;
  /** Redis commands per request served, from `INFO commandstats` over the measured run. */
  cmdsPerReq: number;
  commands: Record<string, number>;
  /** Redis commands per request with one request at a time (exact: no run edges). */
  sequentialCmdsPerReq: number;
  /** Redis socket reads per request with one request at a time (see redis-stats.ts). */
  roundTripsPerReq: number;
  bytesPerResponse: number;
  /** The server process's peak RSS over the whole run (all workloads). */
  peakRssMb: number;
}

export interface Goal {
  what: string;
  measured: string;
  target: string;
  pass: boolean;
}

const GATEWAY = 'gateway';
const RATIO_GOALS: Array<{ workloads: WorkloadId[]; versus: string; atLeast: number }> = [
  { workloads: ['W2', 'W3', 'W5', 'W6'], versus: 'naive', atLeast: 3 },
  { workloads: ['W2', 'W3', 'W5', 'W6'], versus: 'mercurius-jit', atLeast: 1 },
  { workloads: ['W2', 'W3', 'W5', 'W6'], versus: 'limit', atLeast: 0.5 },
  { workloads: ['W1'], versus: 'limit', atLeast: 0.35 },
  { workloads: ['W4'], versus: 'limit', atLeast: 0.3 },
];
const ONE_ROUND_TRIP: WorkloadId[] = ['W1', 'W2', 'W3', 'W6'];
const MAX_P99_OVER_P50 = 5;
const MAX_RSS_MB = 250;

/** The goals, from the rows of one run so that machine noise cancels. */
export function goalsOf(rows: readonly Row[], connections: number): Goal[] {
  const row = (workload: WorkloadId, server: string) => rows.find((r) => r.workload === workload && r.server === server);
  const goals: Goal[] = [];
  for (const { workloads, versus, atLeast } of RATIO_GOALS) {
    for (const workload of workloads) {
      const [ours, theirs] = [row(workload, GATEWAY), row(workload, versus)];
      if (!ours || !theirs) continue;
      const ratio = ours.reqPerSec / theirs.reqPerSec;
      goals.push({ what: `${workload} req/s gateway / ${versus}`, measured: `${ratio.toFixed(2)}x`, target: `>= ${atLeast}x`, pass: ratio >= atLeast });
    }
  }
  for (const workload of ONE_ROUND_TRIP) {
    const ours = row(workload, GATEWAY);
    if (!ours) continue;
    const exact = ours.roundTripsPerReq === 1 && ours.sequentialCmdsPerReq === 1;
    goals.push({
      what: `${workload} Redis round trips per request (gateway)`,
      measured: `${ours.roundTripsPerReq.toFixed(2)} (${ours.sequentialCmdsPerReq.toFixed(2)} cmds)`,
      target: '1 (1 cmd)',
      pass: exact,
    });
  }
  for (const ours of rows.filter((r) => r.server === GATEWAY)) {
    const ratio = ours.p99Ms / ours.p50Ms;
    goals.push({
      what: `${ours.workload} p99 / p50 (gateway, ${connections} connections)`,
      measured: `${ratio.toFixed(2)}x`,
      target: `<= ${MAX_P99_OVER_P50}x`,
      pass: ratio <= MAX_P99_OVER_P50,
    });
  }
  const rss = rows.find((r) => r.server === GATEWAY)?.peakRssMb;
  if (rss !== undefined) goals.push({ what: 'peak RSS (gateway)', measured: `${rss.toFixed(0)} MB`, target: `< ${MAX_RSS_MB} MB`, pass: rss < MAX_RSS_MB });
  return goals;
}

export function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  let redis = 'unknown';
  try {
    redis = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? redis;
  } catch {
    // reported as unknown
  }
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    cores: availableParallelism(),
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    redis,
  };
}

const COLUMNS: Array<{ title: string; cell: (r: Row) => string }> = [
  { title: 'server', cell: (r) => r.server },
  { title: 'req/s', cell: (r) => r.reqPerSec.toFixed(0) },
  { title: 'p50 ms', cell: (r) => r.p50Ms.toFixed(2) },
  { title: 'p99 ms', cell: (r) => r.p99Ms.toFixed(2) },
  { title: 'cmds/req', cell: (r) => r.cmdsPerReq.toFixed(2) },
  { title: 'round trips/req', cell: (r) => r.roundTripsPerReq.toFixed(2) },
  { title: 'bytes/resp', cell: (r) => String(r.bytesPerResponse) },
  { title: 'peak RSS MB', cell: (r) => r.peakRssMb.toFixed(0) },
];

/** One aligned table per workload, the goals with PASS/FAIL, and the machine. */
export function formatReport(rows: readonly Row[], workloads: readonly Workload[], goals: readonly Goal[], about: ReturnType<typeof machine>, settings: string): string {
  const lines: string[] = [];
  for (const workload of workloads) {
    const table = rows.filter((r) => r.workload === workload.id);
    if (table.length === 0) continue;
    const cells = [COLUMNS.map((c) => c.title), ...table.map((r) => COLUMNS.map((c) => c.cell(r)))];
    const widths = COLUMNS.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
    lines.push('', `${workload.id}: ${workload.title}`);
    for (const line of cells) lines.push(line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
    const failed = table.filter((r) => Object.values(r.failures).some((n) => n > 0));
    for (const r of failed) lines.push(`  ! ${r.server}: failed requests ${JSON.stringify(r.failures)} (not counted in req/s)`);
  }
  lines.push('', 'Goals (ratios from this run):');
  const width = Math.max(...goals.map((g) => g.what.length));
  for (const goal of goals) lines.push(`  ${goal.pass ? 'PASS' : 'FAIL'}  ${goal.what.padEnd(width)}  ${goal.measured.padStart(18)}  (goal ${goal.target})`);
  lines.push('', `Machine: ${about.cpu}, ${about.cores} cores, ${about.memoryGb} GB; Node ${about.node}; Redis ${about.redis}`, `Settings: ${settings}`);
  return lines.join('\n');
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
