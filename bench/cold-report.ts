import type { ColdRow } from './cold.js';
import type { ColdSection } from './cold-section.js';
import { formatGoals } from './report.js';

const ms = (value: number) => (Number.isNaN(value) ? '-' : value.toFixed(1));

const COLUMNS: Array<{ title: string; cell: (r: ColdRow) => string }> = [
  { title: 'peer', cell: (r) => r.peer },
  { title: 'expired key', cell: (r) => (r.expired === 'gone' ? 'gone (miss)' : 'stale') },
  { title: 'upstream calls/key mean', cell: (r) => r.callsPerKey.mean.toFixed(2) },
  { title: 'max', cell: (r) => String(r.callsPerKey.max) },
  { title: 'cold p50 ms', cell: (r) => ms(r.cold.p50Ms) },
  { title: 'p99', cell: (r) => ms(r.cold.p99Ms) },
  { title: 'warm p50 ms', cell: (r) => ms(r.warm.p50Ms) },
  { title: 'p99', cell: (r) => ms(r.warm.p99Ms) },
  { title: 'stale answers', cell: (r) => `${r.staleAnswers} of ${r.cold.requests}` },
];

/** The cold section: one aligned row per peer, each round's upstream calls, anything that went wrong, then its goals. */
export function formatCold({ rows, settings, goals }: ColdSection): string {
  const cells = [COLUMNS.map((c) => c.title), ...rows.map((r) => COLUMNS.map((c) => c.cell(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  const lines = [
    '',
    'Cold keys: Fear & Greed just expired, then a burst of requests for it at once (cold); the same burst once it is fresh again (warm)',
    `(${settings})`,
  ];
  for (const line of cells) lines.push(line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  lines.push('Upstream calls per round:');
  for (const r of rows) lines.push(`  ${r.peer}: ${r.callsPerRound.join(' ')}`);
  for (const r of rows) {
    if (r.failed > 0) lines.push(`  ! ${r.peer}: ${r.failed} failed answers, the first: ${r.firstFailure}`);
    if (r.unrefreshedRounds > 0) lines.push(`  ! ${r.peer}: the key was not fresh again within 5 s after ${r.unrefreshedRounds} rounds`);
    if (r.warmUntimed > 0) lines.push(`  ${r.peer}: ${r.warmUntimed} of ${r.rounds} warm bursts not timed (the key expired during them, or too soon to start one)`);
  }
  lines.push('Goals:', ...formatGoals(goals));
  return lines.join('\n');
}
