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
  /** This server's response size: the same for all but splice, whose stored values carry no `stale`. */
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
const LIMIT = 'limit';
const SPLICE = 'splice';
const MERCURIUS_JIT = 'mercurius-jit';
/** The workloads of point values only, read in one `MGET`: where splice is the least work possible. */
const POINT_WORKLOADS: WorkloadId[] = ['W1', 'W2', 'W3', 'W6'];

/**
 * The gateway's req/s over limit's and over mercurius-jit's in W4 and W5 before issue 14's speed
 * work: the floors it must stay at or above. Each is the median of three full runs
 * (`npm run bench`, 50 connections) made one after another on 2026-12-02 in a clean clone of commit
 * b926e8e, with this directory's bench/ copied in, on the 2-core machine of README.md's results
 * while other work shared it (load average 1-8). The three runs gave W4 1.17, 0.78, 0.98 over limit
 * and 1.76, 1.56, 1.64 over mercurius-jit; W5 0.67, 0.81, 0.94 and 1.14, 1.17, 1.31: one run
 * moves by up to 20-40% from the next.
 */
const BEFORE_ISSUE_14 = {
  W4: { overLimit: 0.98, overMercuriusJit: 1.64 },
  W5: { overLimit: 0.81, overMercuriusJit: 1.17 },
} as const;

/** Issue 14's goals for the gateway's req/s, as ratios to another server's in the same run. */
const RATIO_GOALS: Array<{ workloads: WorkloadId[]; versus: string; atLeast: number }> = [
  { workloads: POINT_WORKLOADS, versus: MERCURIUS_JIT, atLeast: 1 },
  { workloads: ['W1'], versus: LIMIT, atLeast: 0.6 },
  { workloads: ['W2', 'W3', 'W6'], versus: LIMIT, atLeast: 0.5 },
  { workloads: ['W4'], versus: LIMIT, atLeast: BEFORE_ISSUE_14.W4.overLimit },
  { workloads: ['W4'], versus: MERCURIUS_JIT, atLeast: BEFORE_ISSUE_14.W4.overMercuriusJit },
  { workloads: ['W5'], versus: LIMIT, atLeast: BEFORE_ISSUE_14.W5.overLimit },
  { workloads: ['W5'], versus: MERCURIUS_JIT, atLeast: BEFORE_ISSUE_14.W5.overMercuriusJit },
];
const MAX_P99_OVER_P50 = 3;
const MAX_RSS_MB = 200;

/** The issue's goals, from the rows of one run so that machine noise cancels. */
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
  for (const workload of POINT_WORKLOADS) {
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

/** Goal lines, PASS or FAIL first, aligned. */
export function formatGoals(goals: readonly Goal[]): string[] {
  const width = Math.max(...goals.map((g) => g.what.length));
  return goals.map((goal) => `  ${goal.pass ? 'PASS' : 'FAIL'}  ${goal.what.padEnd(width)}  ${goal.measured.padStart(18)}  (goal ${goal.target})`);
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

/** req/s over `server`'s in the same workload: every server is reported against both limits. */
const versus = (server: string) => (r: Row, table: readonly Row[]) => {
  const base = table.find((b) => b.server === server);
  return base ? `${(r.reqPerSec / base.reqPerSec).toFixed(2)}x` : '-';
};

const COLUMNS: Array<{ title: string; cell: (r: Row, table: readonly Row[]) => string }> = [
  { title: 'server', cell: (r) => r.server },
  { title: 'req/s', cell: (r) => r.reqPerSec.toFixed(0) },
  { title: `vs ${LIMIT}`, cell: versus(LIMIT) },
  { title: `vs ${SPLICE}`, cell: versus(SPLICE) },
  { title: 'p50 ms', cell: (r) => r.p50Ms.toFixed(2) },
  { title: 'p99 ms', cell: (r) => r.p99Ms.toFixed(2) },
  { title: 'cmds/req', cell: (r) => r.cmdsPerReq.toFixed(2) },
  { title: 'round trips/req', cell: (r) => r.roundTripsPerReq.toFixed(2) },
  { title: 'bytes/resp', cell: (r) => String(r.bytesPerResponse) },
  { title: 'peak RSS MB', cell: (r) => r.peakRssMb.toFixed(0) },
];

/**
 * One aligned table per workload, the goals with PASS/FAIL, every server's req/s over splice's
 * in the point workloads (reported, no goal), and the machine.
 */
export function formatReport(rows: readonly Row[], workloads: readonly Workload[], goals: readonly Goal[], about: ReturnType<typeof machine>, settings: string): string {
  const lines: string[] = [];
  for (const workload of workloads) {
    const table = rows.filter((r) => r.workload === workload.id);
    if (table.length === 0) continue;
    const cells = [COLUMNS.map((c) => c.title), ...table.map((r) => COLUMNS.map((c) => c.cell(r, table)))];
    const widths = COLUMNS.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
    lines.push('', `${workload.id}: ${workload.title}`);
    for (const line of cells) lines.push(line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
    const failed = table.filter((r) => Object.values(r.failures).some((n) => n > 0));
    for (const r of failed) lines.push(`  ! ${r.server}: failed requests ${JSON.stringify(r.failures)} (not counted in req/s)`);
  }
  lines.push('', 'Goals (ratios from this run):', ...formatGoals(goals));
  lines.push('', `Against ${SPLICE}, the least work a server can do (req/s over ${SPLICE}'s; reported, no goal):`);
  const overSplice = versus(SPLICE);
  for (const workload of POINT_WORKLOADS) {
    const table = rows.filter((r) => r.workload === workload);
    const others = table.filter((r) => r.server !== SPLICE);
    if (others.length > 0) lines.push(`  ${workload}  ${others.map((r) => `${r.server} ${overSplice(r, table)}`).join('  ')}`);
  }
  lines.push('', `Machine: ${about.cpu}, ${about.cores} cores, ${about.memoryGb} GB; Node ${about.node}; Redis ${about.redis}`, `Settings: ${settings}`);
  return lines.join('\n');
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
